package fakeaws

import (
	"net/http"
	"strings"
)

// KMSKey is a KMS key. Its zero fields mean an enabled symmetric
// encryption key with KMS's default policy (the account's IAM policies
// decide).
type KMSKey struct {
	// ARN is the key's ARN: arn:aws:kms:<region>:<account>:key/<id>.
	ARN string
	// State is the key state; "" means "Enabled" ("Disabled",
	// "PendingDeletion", ...).
	State string
	// Spec is the key spec; "" means "SYMMETRIC_DEFAULT".
	Spec string
	// Policy is the key policy document; "" means KMS's default one.
	Policy string
	// PolicyUnreadable denies GetKeyPolicy to the caller.
	PolicyUnreadable bool
}

// DefaultKeyPolicy is the policy KMS gives a key created without one: the
// account's IAM policies decide who may use it.
func DefaultKeyPolicy(account string) string {
	return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		account + `:root"},"Action":"kms:*","Resource":"*"}]}`
}

// PutKMSKey creates or replaces a key.
func (s *Server) PutKMSKey(k KMSKey) {
	s.mu.Lock()
	s.kmsKeys[k.ARN] = k
	s.mu.Unlock()
}

// kmsKey finds a key by its ARN or its id.
func (s *Server) kmsKey(id string) (KMSKey, bool) {
	if k, ok := s.kmsKeys[id]; ok {
		return k, true
	}
	for arn, k := range s.kmsKeys {
		if strings.HasSuffix(arn, ":key/"+id) {
			return k, true
		}
	}
	return KMSKey{}, false
}

func (s *Server) kms(op string, body []byte) (any, *apiError) {
	var in struct{ KeyId, PolicyName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.kmsKey(in.KeyId)
	if !ok && (op == "DescribeKey" || op == "GetKeyPolicy") {
		return nil, errorf(http.StatusBadRequest, "NotFoundException", "Key '%s' does not exist", in.KeyId)
	}
	parts := strings.SplitN(k.ARN, ":", 6)
	switch op {
	case "DescribeKey":
		state, spec := k.State, k.Spec
		if state == "" {
			state = "Enabled"
		}
		if spec == "" {
			spec = "SYMMETRIC_DEFAULT"
		}
		return map[string]any{"KeyMetadata": map[string]any{
			"Arn": k.ARN, "KeyId": strings.TrimPrefix(parts[5], "key/"), "AWSAccountId": parts[4],
			"KeyState": state, "Enabled": state == "Enabled", "KeySpec": spec, "KeyUsage": "ENCRYPT_DECRYPT", "KeyManager": "CUSTOMER",
		}}, nil
	case "GetKeyPolicy":
		if k.PolicyUnreadable {
			return nil, errorf(http.StatusBadRequest, "AccessDeniedException", "User: %s is not authorized to perform: kms:GetKeyPolicy on resource: %s", s.caller.Arn, k.ARN)
		}
		if in.PolicyName != "" && in.PolicyName != "default" {
			return nil, errorf(http.StatusBadRequest, "NotFoundException", "No such policy exists")
		}
		policy := k.Policy
		if policy == "" {
			policy = DefaultKeyPolicy(parts[4])
		}
		return map[string]any{"Policy": policy, "PolicyName": "default"}, nil
	}
	return nil, unknownOperation("kms", op)
}
