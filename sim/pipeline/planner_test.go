package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/orderly-dev/orderly/infra/config"
	capacity "github.com/orderly-dev/orderly/infra/plan"
	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/sim/lambdaemu"
)

// TestPlannerPlacementMatchesKinesalite puts one record per live period
// into kinesalite, the local pipeline's Kinesis, and asserts that every
// record lands on the shard the planner predicts, and that the planner's
// hash-key ranges are the stream's. The shard counts are prod's (from
// cdk.json, through the app's resolver) and a few that collide.
func TestPlannerPlacementMatchesKinesalite(t *testing.T) {
	root, err := repo.WorkingRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"node_modules/.bin/node", "node_modules/kinesalite"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			lambdaemu.Precondition(t, fmt.Errorf("%s is missing: run `make deps`", p))
		}
	}
	cdkContext, err := config.LoadContext(filepath.Join(root, "cdk.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cdkContext[config.EnvKey] = "prod"
	prod, err := config.Resolve(cdkContext)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	k, err := startKinesalite(ctx, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Stop()

	periods := append(capacity.DailyPeriods(time.Now().UTC(), 14), capacity.DailyPeriods(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 31)...)
	for _, shards := range []int{prod.Kinesis.ShardCount, 1, 3, 7} {
		t.Run(fmt.Sprintf("%d shards", shards), func(t *testing.T) {
			stream := fmt.Sprintf("plan-%d", shards)
			ids, err := k.createStream(ctx, stream, shards)
			if err != nil {
				t.Fatal(err)
			}
			ranges, err := capacity.UniformHashRanges(shards)
			if err != nil {
				t.Fatal(err)
			}
			listed, err := k.client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range listed.Shards {
				r := s.HashKeyRange
				if aws.ToString(r.StartingHashKey) != ranges[i].Start.String() || aws.ToString(r.EndingHashKey) != ranges[i].End.String() {
					t.Errorf("shard %d: kinesalite [%s, %s], planner [%s, %s]", i, aws.ToString(r.StartingHashKey), aws.ToString(r.EndingHashKey), ranges[i].Start, ranges[i].End)
				}
				if ids[i] != capacity.ShardID(i) {
					t.Errorf("shard %d is %s, planner calls it %s", i, ids[i], capacity.ShardID(i))
				}
			}
			for _, p := range periods {
				out, err := k.client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String(p.Key), Data: []byte(`{}`)})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := aws.ToString(out.ShardId), capacity.ShardID(capacity.ShardIndex(p.Key, ranges)); got != want {
					t.Errorf("period %s landed on %s, planner says %s", p.Key, got, want)
				}
			}
		})
	}
}
