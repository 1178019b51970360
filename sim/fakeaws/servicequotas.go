package fakeaws

import "net/http"

// SetQuota sets the applied value of a service quota.
func (s *Server) SetQuota(serviceCode, quotaCode string, value float64) {
	s.mu.Lock()
	s.quotas[serviceCode+"/"+quotaCode] = value
	s.mu.Unlock()
}

func (s *Server) serviceQuotas(op string, body []byte) (any, *apiError) {
	var in struct{ ServiceCode, QuotaCode string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "GetServiceQuota":
		v, ok := s.quotas[in.ServiceCode+"/"+in.QuotaCode]
		if !ok {
			return nil, errorf(http.StatusBadRequest, "NoSuchResourceException", "The request failed because the specified quota %s does not exist.", in.QuotaCode)
		}
		return map[string]any{"Quota": map[string]any{"ServiceCode": in.ServiceCode, "QuotaCode": in.QuotaCode, "Value": v}}, nil
	}
	return nil, unknownOperation("servicequotas", op)
}
