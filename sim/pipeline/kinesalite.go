package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/orderly-dev/orderly/infra/session"
	"github.com/orderly-dev/orderly/lambda/sdkhttp"
	"github.com/orderly-dev/orderly/sim/kinesisesm"
)

// kinesaliteScript starts kinesalite on 127.0.0.1 only (its CLI listens on
// every interface) with stream state changes that take milliseconds, and
// prints the URL.
const kinesaliteScript = `
const server = require('kinesalite')({createStreamMs: 20, deleteStreamMs: 20, updateStreamMs: 20, shardLimit: 500});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({url: 'http://127.0.0.1:' + server.address().port}));
});
process.on('SIGTERM', () => process.exit(0));
`

// kinesalite is a running local Kinesis.
type kinesalite struct {
	proc   *session.Process
	URL    string
	client *kinesis.Client
}

// startKinesalite runs the pinned kinesalite with the pinned Node from
// node_modules (Node 24; the system Node may be older).
func startKinesalite(ctx context.Context, root, logDir string) (*kinesalite, error) {
	node := filepath.Join(root, "node_modules", ".bin", "node")
	if _, err := os.Stat(filepath.Join(root, "node_modules", "kinesalite")); err != nil {
		return nil, fmt.Errorf("kinesalite is not installed in %s/node_modules: run `make deps` (npm ci)", root)
	}
	if _, err := os.Stat(node); err != nil {
		return nil, fmt.Errorf("the pinned Node is missing (%s): run `make deps` (npm ci)", node)
	}
	cmd := exec.Command(node, "-e", kinesaliteScript)
	cmd.Dir = root
	logFile, err := os.Create(filepath.Join(logDir, "kinesalite.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	proc, err := session.Start(cmd)
	if err != nil {
		logFile.Close()
		return nil, err
	}
	k := &kinesalite{proc: proc}
	ready := make(chan error, 1)
	go func() {
		defer logFile.Close()
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			var hello struct{ URL string }
			if err := json.Unmarshal(sc.Bytes(), &hello); err != nil || hello.URL == "" {
				ready <- fmt.Errorf("kinesalite printed %q, want {\"url\":...}", sc.Text())
				return
			}
			k.URL = hello.URL
			ready <- nil
			// Keep draining so that the process never blocks on stdout.
			_, _ = io.Copy(logFile, out)
			return
		}
		ready <- fmt.Errorf("kinesalite exited before listening (see %s)", logFile.Name())
	}()
	select {
	case err = <-ready:
	case <-time.After(30 * time.Second):
		err = errors.New("kinesalite did not start within 30s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		_ = proc.Kill(5 * time.Second)
		return nil, err
	}
	k.client = kinesis.New(kinesis.Options{
		Region:       localRegion,
		BaseEndpoint: aws.String(k.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:   sdkhttp.Client(),
	})
	return k, nil
}

func (k *kinesalite) Stop() error { return k.proc.Stop(5 * time.Second) }

// Pids returns the processes kinesalite ran.
func (k *kinesalite) Pids() []int { return k.proc.Pids() }

// createStream creates a stream with shards shards and waits until it is
// active; it returns the shard ids.
func (k *kinesalite) createStream(ctx context.Context, name string, shards int) ([]string, error) {
	if _, err := k.client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(shards))}); err != nil {
		return nil, fmt.Errorf("create stream %s with %d shards: %w", name, shards, err)
	}
	waiter := kinesis.NewStreamExistsWaiter(k.client, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay = 20 * time.Millisecond
		o.MaxDelay = 200 * time.Millisecond
	})
	if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, 30*time.Second); err != nil {
		return nil, fmt.Errorf("wait for stream %s: %w", name, err)
	}
	out, err := k.client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("list shards of %s: %w", name, err)
	}
	ids := make([]string, len(out.Shards))
	for i, s := range out.Shards {
		ids[i] = aws.ToString(s.ShardId)
	}
	if len(ids) != shards {
		return nil, fmt.Errorf("stream %s has %d shards, want %d", name, len(ids), shards)
	}
	return ids, nil
}

// shardReader reads one shard from its trim horizon for the event source
// mapping emulator.
type shardReader struct {
	client   *kinesis.Client
	stream   string
	id       string
	iterator *string
}

var _ kinesisesm.Shard = (*shardReader)(nil)

func (s *shardReader) ID() string { return s.id }

func (s *shardReader) Read(ctx context.Context) ([]kinesisesm.Record, error) {
	if s.iterator == nil {
		it, err := s.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String(s.stream), ShardId: aws.String(s.id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			return nil, err
		}
		s.iterator = it.ShardIterator
	}
	out, err := s.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: s.iterator, Limit: aws.Int32(1000)})
	if err != nil {
		return nil, err
	}
	s.iterator = out.NextShardIterator
	recs := make([]kinesisesm.Record, len(out.Records))
	for i, r := range out.Records {
		recs[i] = kinesisesm.Record{
			ShardID:        s.id,
			SequenceNumber: aws.ToString(r.SequenceNumber),
			PartitionKey:   aws.ToString(r.PartitionKey),
			Data:           r.Data,
			ArrivalTime:    aws.ToTime(r.ApproximateArrivalTimestamp),
		}
	}
	return recs, nil
}
