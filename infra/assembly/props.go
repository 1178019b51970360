package assembly

import (
	"fmt"
	"slices"
	"strconv"
)

// CloudFormation's documented values for properties a template may leave
// out. A missing property reads as its default, by name; any other missing
// or mistyped property is an error naming the resource and the key, never
// a silent zero.
const (
	DefaultFunctionTimeoutSeconds   = 3
	DefaultFunctionMemoryMiB        = 128
	DefaultFunctionArchitecture     = "x86_64"
	DefaultKinesisBatchSize         = 100
	DefaultSQSBatchSize             = 10
	DefaultParallelizationFactor    = 1
	DefaultMaximumRetryAttempts     = -1 // retry until the record expires
	DefaultMaximumRecordAgeSeconds  = -1 // the stream's retention
	DefaultSQSVisibilityTimeout     = 30
	DefaultDeduplicationScope       = "queue"
	DefaultFifoThroughputLimit      = "perQueue"
	perMessageGroupThroughput       = "perMessageGroupId"
	DefaultPipeSQSBatchSize         = 10
	NoReservedConcurrency           = 0 // the function draws on the account's pool
	NoMaximumConcurrency            = 0 // the mapping scales up to its own limit
	reportBatchItemFailuresResponse = "ReportBatchItemFailures"
)

// props reads the properties of one resource, or of an object nested in
// them; where names it in every error ("Function Fn: Timeout").
type props struct {
	where string
	m     map[string]any
}

func (t Template) props(id string) props {
	r := t.Resources[id]
	return props{where: r.Type + " " + id, m: r.Properties}
}

func (p props) errorf(key, format string, args ...any) error {
	return fmt.Errorf("%s: %s %s", p.where, key, fmt.Sprintf(format, args...))
}

// has reports whether key is present.
func (p props) has(key string) bool {
	_, ok := p.m[key]
	return ok
}

// object returns the object at key; ok is false when key is absent.
func (p props) object(key string) (props, bool, error) {
	v, present := p.m[key]
	if !present {
		return props{}, false, nil
	}
	m, isObject := v.(map[string]any)
	if !isObject {
		return props{}, false, p.errorf(key, "is %T, want an object", v)
	}
	return props{where: p.where + ": " + key, m: m}, true, nil
}

// objects returns the list of objects at key; absent is an empty list.
func (p props) objects(key string) ([]props, error) {
	v, present := p.m[key]
	if !present {
		return nil, nil
	}
	items, isList := v.([]any)
	if !isList {
		return nil, p.errorf(key, "is %T, want a list", v)
	}
	out := make([]props, len(items))
	for i, item := range items {
		m, isObject := item.(map[string]any)
		if !isObject {
			return nil, p.errorf(key, "item %d is %T, want an object", i, item)
		}
		out[i] = props{where: fmt.Sprintf("%s: %s[%d]", p.where, key, i), m: m}
	}
	return out, nil
}

// strings returns the list of strings at key, or def when key is absent.
func (p props) strings(key string, def ...string) ([]string, error) {
	v, present := p.m[key]
	if !present {
		return slices.Clone(def), nil
	}
	items, isList := v.([]any)
	if !isList {
		return nil, p.errorf(key, "is %T, want a list of strings", v)
	}
	out := make([]string, len(items))
	for i, item := range items {
		s, isString := item.(string)
		if !isString {
			return nil, p.errorf(key, "item %d is %T, want a string", i, item)
		}
		out[i] = s
	}
	return out, nil
}

// int returns the required number at key.
func (p props) int(key string) (int, error) {
	v, present := p.m[key]
	if !present {
		return 0, p.errorf(key, "is missing")
	}
	f, isNumber := v.(float64)
	if !isNumber || f != float64(int(f)) {
		return 0, p.errorf(key, "is %v, want a whole number", v)
	}
	return int(f), nil
}

// intOr returns the number at key, or def when key is absent.
func (p props) intOr(key string, def int) (int, error) {
	if !p.has(key) {
		return def, nil
	}
	return p.int(key)
}

// string returns the required string at key.
func (p props) string(key string) (string, error) {
	v, present := p.m[key]
	if !present {
		return "", p.errorf(key, "is missing")
	}
	s, isString := v.(string)
	if !isString {
		return "", p.errorf(key, "is %T, want a string (a value CloudFormation resolves at deploy time cannot be read here)", v)
	}
	return s, nil
}

// stringOr returns the string at key, or def when key is absent.
func (p props) stringOr(key, def string) (string, error) {
	if !p.has(key) {
		return def, nil
	}
	return p.string(key)
}

// boolOr returns the boolean at key, or def when key is absent.
func (p props) boolOr(key string, def bool) (bool, error) {
	v, present := p.m[key]
	if !present {
		return def, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, p.errorf(key, "is %v, want true or false", v)
	}
	return b, nil
}

// envSecondsOr returns the whole number of seconds an environment
// variable at key states as a literal string, or def when key is absent.
func (p props) envSecondsOr(key string, def int) (int, error) {
	if !p.has(key) {
		return def, nil
	}
	v, err := p.string(key)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, p.errorf(key, "is %q, want a whole number of seconds, 0 or more", v)
	}
	return n, nil
}

// ref returns the logical id a {"Ref": id} at key names.
func (p props) ref(key string) (string, error) {
	r, ok, err := p.object(key)
	if err != nil {
		return "", err
	}
	id, isString := r.m["Ref"].(string)
	if !ok || !isString || len(r.m) != 1 {
		return "", p.errorf(key, "is %v, want a Ref to a resource of the stack", p.m[key])
	}
	return id, nil
}

// getAtt returns the logical id a {"Fn::GetAtt": [id, attr]} at key names.
func (p props) getAtt(key string) (string, error) {
	ref, ok, err := p.object(key)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", p.errorf(key, "is missing")
	}
	args, _ := ref.m["Fn::GetAtt"].([]any)
	if len(args) != 2 {
		return "", p.errorf(key, "is %v, want a Fn::GetAtt reference", ref.m)
	}
	id, _ := args[0].(string)
	return id, nil
}
