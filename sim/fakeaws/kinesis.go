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
		return map[string]any{"StreamDescriptionSummary": map[string]any{"StreamName": in.StreamName, "OpenShardCount": n, "StreamStatus": "ACTIVE"}}, nil
	}
	return nil, unknownOperation("kinesis", op)
}
