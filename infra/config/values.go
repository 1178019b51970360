package config

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Context values arrive as JSON values from cdk.json and as strings from
// `-c key=value` on the command line, so every parser accepts both.

func itoa(n int) string { return strconv.Itoa(n) }

// render prints a raw value the way the user wrote it, for error messages.
func render(raw any) string {
	switch v := raw.(type) {
	case string:
		return strconv.Quote(v)
	case nil:
		return "null"
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

func parseInt(raw any) (int, bool) {
	switch v := raw.(type) {
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1<<31 {
			return 0, false
		}
		return int(v), true
	case int:
		return v, true
	case json.Number:
		n, err := strconv.Atoi(string(v))
		return n, err == nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		return n, err == nil
	}
	return 0, false
}

func parseBool(raw any) (bool, bool) {
	switch v := raw.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func parseString(raw any) (string, bool) {
	s, ok := raw.(string)
	return strings.TrimSpace(s), ok
}

// parseList accepts a JSON array of strings, a JSON array written as a
// string, or a comma-separated string.
func parseList(raw any) ([]string, bool) {
	switch v := raw.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, false
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out, true
	case []string:
		return append([]string(nil), v...), true
	case string:
		trimmed := strings.TrimSpace(v)
		if strings.HasPrefix(trimmed, "[") {
			var out []string
			if err := json.Unmarshal([]byte(trimmed), &out); err != nil {
				return nil, false
			}
			return out, true
		}
		if trimmed == "" {
			return []string{}, true
		}
		parts := strings.Split(trimmed, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, true
	}
	return nil, false
}
