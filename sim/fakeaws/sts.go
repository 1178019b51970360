package fakeaws

import "fmt"

// Caller is the identity GetCallerIdentity returns.
type Caller struct {
	Account, Arn, UserID string
}

// SetCaller sets the identity behind the credentials.
func (s *Server) SetCaller(c Caller) {
	s.mu.Lock()
	s.caller = c
	s.mu.Unlock()
}

func (s *Server) sts(op string, _ map[string][]string) (string, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "GetCallerIdentity":
		c := s.caller
		return fmt.Sprintf("<Arn>%s</Arn><UserId>%s</UserId><Account>%s</Account>", escape(c.Arn), escape(c.UserID), escape(c.Account)), nil
	}
	return "", unknownOperation("sts", op)
}
