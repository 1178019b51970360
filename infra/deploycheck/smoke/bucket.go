package smoke

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
)

// maxObjects bounds how many new on-failure objects one run reads.
const maxObjects = 100

// checkBucket fails the run when an on-failure object written since the
// run started holds a canary record. Objects are matched by content rather
// than counted: the bucket holds whole records, so a discarded canary
// record is recognized for certain, and a batch of other traffic discarded
// meanwhile (which the bucket's alarm reports) does not fail the canary.
// Older objects and new ones without the canary are only noted.
func checkBucket(ctx context.Context, o Options, r *Report, output, bucket string, start time.Time, isCanary func(string) bool) {
	client := awsenv.S3(o.AWS)
	since := start.Add(-logClockSkew)
	var older, other, canary, read int
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("cannot list %s (%s): %s", output, bucket, awsenv.Describe(err)))
			return
		}
		for _, obj := range page.Contents {
			if aws.ToTime(obj.LastModified).Before(since) {
				older++
				continue
			}
			if read == maxObjects {
				other++
				continue
			}
			read++
			body, err := getObject(ctx, client, bucket, aws.ToString(obj.Key))
			if err != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("cannot read %s object %s: %s", output, aws.ToString(obj.Key), awsenv.Describe(err)))
				continue
			}
			if isCanary(string(body)) {
				canary++
			} else {
				other++
			}
		}
	}
	if canary > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%s holds %d on-failure object(s) with canary records", output, canary))
	}
	if older+other > 0 {
		fmt.Fprintf(o.Progress, "smoke: note: %s holds %d older object(s) and %d new one(s) without canary records: redrive them (make redrive)\n", output, older, other)
	}
}

func getObject(ctx context.Context, client *s3.Client, bucket, key string) ([]byte, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}
