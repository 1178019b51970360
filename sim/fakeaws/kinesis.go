package fakeaws

import "net/http"

// KinesisLimits is what DescribeLimits reports.
type KinesisLimits struct {
	ShardLimit, OpenShardCount, OnDemandStreamCount, OnDemandStreamCountLimit int
}

// SetKinesisLimits sets the account's shard figures.
func (s *Server) SetKinesisLimits(l KinesisLimits) {
	s.mu.Lock()
	s.kinesis = l
	s.mu.Unlock()
}

// PutStream records a stream with its open shards.
func (s *Server) PutStream(name string, openShards int) {
	s.mu.Lock()
	s.streams[name] = openShards
	s.mu.Unlock()
}

// StreamMode is a stream's capacity mode and, for an on-demand stream, its
// record distribution strategy, as DescribeStreamSummary reports them.
type StreamMode struct {
	Mode                       string // "PROVISIONED" or "ON_DEMAND"
	RecordDistributionStrategy string // "" (provisioned), "USER_PARTITION_KEY" or "AUTO"
}

// SetStreamMode sets what DescribeStreamSummary reports of a stream's
// mode; a stream without one reports PROVISIONED.
func (s *Server) SetStreamMode(name string, m StreamMode) {
	s.mu.Lock()
	s.streamModes[name] = m
	s.mu.Unlock()
}

func (s *Server) kinesisAPI(op string, body []byte) (any, *apiError) {
	var in struct{ StreamName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "DescribeLimits":
		l := s.kinesis
		return map[string]any{"ShardLimit": l.ShardLimit, "OpenShardCount": l.OpenShardCount,
			"OnDemandStreamCount": l.OnDemandStreamCount, "OnDemandStreamCountLimit": l.OnDemandStreamCountLimit}, nil
	case "DescribeStreamSummary":
		n, ok := s.streams[in.StreamName]
		if !ok {
			return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Stream %s under account %s not found.", in.StreamName, s.caller.Account)
		}
		summary := map[string]any{"StreamName": in.StreamName, "OpenShardCount": n, "StreamStatus": "ACTIVE",
			"StreamModeDetails": map[string]any{"StreamMode": "PROVISIONED"}}
		if m, ok := s.streamModes[in.StreamName]; ok {
			summary["StreamModeDetails"] = map[string]any{"StreamMode": m.Mode}
			if m.RecordDistributionStrategy != "" {
				summary["RecordDistributionStrategy"] = m.RecordDistributionStrategy
			}
		}
		return map[string]any{"StreamDescriptionSummary": summary}, nil
	}
	return nil, unknownOperation("kinesis", op)
}
