package fakeaws

import (
	"encoding/json"
	"net/http"
)

// Secret is a Secrets Manager secret.
type Secret struct {
	Name  string
	Value string
	// KMSKeyID is the customer managed key, or empty for aws/secretsmanager.
	KMSKeyID string
	// Unreadable denies GetSecretValue to the caller.
	Unreadable bool
}

// PutSecret creates or replaces a secret.
func (s *Server) PutSecret(sec Secret) {
	s.mu.Lock()
	s.secrets[sec.Name] = sec
	s.mu.Unlock()
}

func (s *Server) secretARN(name string) string {
	return "arn:aws:secretsmanager:eu-west-1:" + s.caller.Account + ":secret:" + name + "-AbCdEf"
}

func (s *Server) secretsManager(op string, body []byte) (any, *apiError) {
	var in struct{ SecretId string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[in.SecretId]
	if !ok {
		for _, candidate := range s.secrets {
			if s.secretARN(candidate.Name) == in.SecretId {
				sec, ok = candidate, true
			}
		}
	}
	if !ok && (op == "DescribeSecret" || op == "GetSecretValue") {
		return nil, errorf(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	switch op {
	case "DescribeSecret":
		out := map[string]any{"ARN": s.secretARN(sec.Name), "Name": sec.Name}
		if sec.KMSKeyID != "" {
			out["KmsKeyId"] = sec.KMSKeyID
		}
		return out, nil
	case "GetSecretValue":
		if sec.Unreadable {
			return nil, errorf(http.StatusBadRequest, "AccessDeniedException", "User is not authorized to perform: secretsmanager:GetSecretValue")
		}
		return map[string]any{"ARN": s.secretARN(sec.Name), "Name": sec.Name, "SecretString": json.RawMessage(mustQuote(sec.Value))}, nil
	}
	return nil, unknownOperation("secretsmanager", op)
}

func mustQuote(v string) []byte {
	b, _ := json.Marshal(v)
	return b
}
