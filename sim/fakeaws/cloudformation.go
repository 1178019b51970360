package fakeaws

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Stack is a deployed CloudFormation stack.
type Stack struct {
	Name string
	// Status defaults to CREATE_COMPLETE.
	Status  string
	Outputs map[string]string
	// Resources are what ListStackResources lists, in order.
	Resources []StackResource
}

// StackResource is one resource of a deployed stack.
type StackResource struct {
	LogicalID, PhysicalID, Type string
}

// resourcesPerPage is small so that tests exercise ListStackResources
// pagination.
const resourcesPerPage = 3

// PutStack creates or replaces a stack.
func (s *Server) PutStack(st Stack) {
	if st.Status == "" {
		st.Status = "CREATE_COMPLETE"
	}
	s.mu.Lock()
	s.stacks[st.Name] = st
	s.mu.Unlock()
}

// StackByName returns a stack, to change it and put it back.
func (s *Server) StackByName(name string) (Stack, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.stacks[name]
	return st, ok
}

// DeleteStack removes a stack.
func (s *Server) DeleteStack(name string) {
	s.mu.Lock()
	delete(s.stacks, name)
	s.mu.Unlock()
}

func (s *Server) cloudFormation(op string, form map[string][]string) (string, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "DescribeStacks":
		name := first(form["StackName"])
		st, ok := s.stacks[name]
		if !ok {
			return "", errorf(http.StatusBadRequest, "ValidationError", "Stack with id %s does not exist", name)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "<Stacks><member><StackName>%s</StackName><StackId>arn:aws:cloudformation:eu-west-1:%s:stack/%s/fake</StackId>"+
			"<StackStatus>%s</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>",
			escape(st.Name), escape(s.caller.Account), escape(st.Name), escape(st.Status))
		for _, k := range slices.Sorted(maps.Keys(st.Outputs)) {
			fmt.Fprintf(&b, "<member><OutputKey>%s</OutputKey><OutputValue>%s</OutputValue></member>", escape(k), escape(st.Outputs[k]))
		}
		b.WriteString("</Outputs></member></Stacks>")
		return b.String(), nil
	case "ListStackResources":
		name := first(form["StackName"])
		st, ok := s.stacks[name]
		if !ok {
			return "", errorf(http.StatusBadRequest, "ValidationError", "Stack with id %s does not exist", name)
		}
		start := 0
		if token := first(form["NextToken"]); token != "" {
			fmt.Sscanf(token, "%d", &start)
		}
		end := min(start+resourcesPerPage, len(st.Resources))
		var b strings.Builder
		b.WriteString("<StackResourceSummaries>")
		for _, r := range st.Resources[start:end] {
			fmt.Fprintf(&b, "<member><LogicalResourceId>%s</LogicalResourceId><PhysicalResourceId>%s</PhysicalResourceId>"+
				"<ResourceType>%s</ResourceType><ResourceStatus>CREATE_COMPLETE</ResourceStatus>"+
				"<LastUpdatedTimestamp>2026-01-01T00:00:00Z</LastUpdatedTimestamp></member>",
				escape(r.LogicalID), escape(r.PhysicalID), escape(r.Type))
		}
		b.WriteString("</StackResourceSummaries>")
		if end < len(st.Resources) {
			fmt.Fprintf(&b, "<NextToken>%d</NextToken>", end)
		}
		return b.String(), nil
	}
	return "", unknownOperation("cloudformation", op)
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
