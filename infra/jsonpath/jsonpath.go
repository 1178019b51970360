// Package jsonpath evaluates the simple JSON paths that EventBridge targets
// and Pipes take ($.detail.scheduleDate, $.body.detail.partition), so that
// the planner and local runs derive partition keys and message groups from
// the synthesized paths rather than from a copy of the configuration.
package jsonpath

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Get returns the value at path in doc (decoded JSON). Only "$" followed by
// ".field" steps is supported; that is all orderly's stacks use. A string
// value that holds a JSON object is looked into, as Pipes do with an SQS
// message body.
func Get(doc any, path string) (any, error) {
	if path != "$" && !strings.HasPrefix(path, "$.") {
		return nil, fmt.Errorf("JSON path %q: want $ or $.field[.field...]", path)
	}
	cur := doc
	if path == "$" {
		return cur, nil
	}
	for _, field := range strings.Split(path[2:], ".") {
		if field == "" {
			return nil, fmt.Errorf("JSON path %q: empty field name", path)
		}
		if s, ok := cur.(string); ok {
			var inner any
			if json.Unmarshal([]byte(s), &inner) == nil {
				cur = inner
			}
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("JSON path %q: no field %q: the value there is not an object", path, field)
		}
		if cur, ok = obj[field]; !ok {
			return nil, fmt.Errorf("JSON path %q: no field %q", path, field)
		}
	}
	return cur, nil
}

// String returns the value at path as the string a target would use: a
// string as it is, a number or boolean as its JSON text. Objects, arrays
// and null are errors.
func String(doc any, path string) (string, error) {
	v, err := Get(doc, path)
	if err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	default:
		return "", fmt.Errorf("JSON path %q: value %v is not a string, number or boolean", path, v)
	}
}
