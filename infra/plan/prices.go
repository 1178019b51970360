package plan

// Price is one list price.
type Price struct {
	USD    float64 `json:"usd"`
	Per    string  `json:"per"`
	Source string  `json:"source"`
}

// PriceTable is the set of list prices the estimate uses, for one region
// at one date.
type PriceTable struct {
	Region  string `json:"region"`
	AsOf    string `json:"asOf"`
	Caveat  string `json:"caveat"`
	Kinesis struct {
		ShardHour, PutPayloadUnitMillion, ExtendedRetentionShardHour, LongTermRetentionGBMonth      Price
		OnDemandStreamHour, OnDemandIngestGB, OnDemandRetrievalGB, OnDemandExtendedRetentionGBMonth Price
	} `json:"kinesis"`
	SQSFifoRequestMillion   Price `json:"sqsFifoRequestMillion"`
	EventBridgeEventMillion Price `json:"eventBridgeEventMillion"`
	PipesRequestMillion     Price `json:"pipesRequestMillion"`
	LambdaRequestMillion    Price `json:"lambdaRequestMillion"`
	LambdaArmGBSecond       Price `json:"lambdaArmGBSecond"`
	S3StandardGBMonth       Price `json:"s3StandardGBMonth"`
	S3PutThousand           Price `json:"s3PutThousand"`
	LogsIngestGB            Price `json:"logsIngestGB"`
	LogsStorageGBMonth      Price `json:"logsStorageGBMonth"`
	AlarmMonth              Price `json:"alarmMonth"`
	CustomMetricMonth       Price `json:"customMetricMonth"`
	KMSKeyMonth             Price `json:"kmsKeyMonth"`
	KMSRequestTenThousand   Price `json:"kmsRequestTenThousand"`
	DashboardMonth          Price `json:"dashboardMonth"`
}

const (
	kinesisPricing     = "https://aws.amazon.com/kinesis/data-streams/pricing/"
	sqsPricing         = "https://aws.amazon.com/sqs/pricing/"
	eventBridgePricing = "https://aws.amazon.com/eventbridge/pricing/"
	lambdaPricing      = "https://aws.amazon.com/lambda/pricing/"
	s3Pricing          = "https://aws.amazon.com/s3/pricing/"
	cloudWatchPricing  = "https://aws.amazon.com/cloudwatch/pricing/"
	kmsPricing         = "https://aws.amazon.com/kms/pricing/"
)

// Prices are public us-east-1 list prices as the authors knew them, free
// tiers ignored. Check them on the source pages before relying on them.
var Prices = func() PriceTable {
	t := PriceTable{
		Region: "us-east-1",
		AsOf:   "2025-01",
		Caveat: "public list prices as known on the date above, free tiers ignored: check each source page before relying on them",
	}
	k := &t.Kinesis
	k.ShardHour = Price{0.015, "shard-hour (provisioned)", kinesisPricing}
	k.PutPayloadUnitMillion = Price{0.014, "million PUT payload units (25 KB each)", kinesisPricing}
	k.ExtendedRetentionShardHour = Price{0.020, "shard-hour of retention from 24 h up to 7 days", kinesisPricing}
	k.LongTermRetentionGBMonth = Price{0.023, "GB-month stored beyond 7 days", kinesisPricing}
	k.OnDemandStreamHour = Price{0.04, "stream-hour (on-demand)", kinesisPricing}
	k.OnDemandIngestGB = Price{0.08, "GB written (on-demand)", kinesisPricing}
	k.OnDemandRetrievalGB = Price{0.04, "GB read (on-demand)", kinesisPricing}
	k.OnDemandExtendedRetentionGBMonth = Price{0.10, "GB-month retained beyond 24 h (on-demand)", kinesisPricing}
	t.SQSFifoRequestMillion = Price{0.50, "million FIFO requests (64 KB chunks)", sqsPricing}
	t.EventBridgeEventMillion = Price{1.00, "million custom events put (64 KB chunks)", eventBridgePricing}
	t.PipesRequestMillion = Price{0.40, "million Pipes requests (64 KB chunks)", eventBridgePricing}
	t.LambdaRequestMillion = Price{0.20, "million invocations", lambdaPricing}
	t.LambdaArmGBSecond = Price{0.0000133334, "GB-second, arm64", lambdaPricing}
	t.S3StandardGBMonth = Price{0.023, "GB-month, S3 Standard", s3Pricing}
	t.S3PutThousand = Price{0.005, "thousand PUT requests", s3Pricing}
	t.LogsIngestGB = Price{0.50, "GB of logs ingested", cloudWatchPricing}
	t.LogsStorageGBMonth = Price{0.03, "GB-month of logs stored", cloudWatchPricing}
	t.AlarmMonth = Price{0.10, "standard-resolution alarm-month", cloudWatchPricing}
	t.CustomMetricMonth = Price{0.30, "custom metric-month", cloudWatchPricing}
	t.KMSKeyMonth = Price{1.00, "customer managed key-month (rotation adds up to $1 for each of its first two yearly rotations)", kmsPricing}
	t.KMSRequestTenThousand = Price{0.03, "10,000 symmetric key requests", kmsPricing}
	t.DashboardMonth = Price{3.00, "dashboard-month", cloudWatchPricing}
	return t
}()
