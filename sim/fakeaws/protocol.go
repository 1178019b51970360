package fakeaws

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// apiError is a modelled AWS error: the code the SDK maps to a typed error,
// and the HTTP status.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// jsonHandler answers one JSON-protocol operation with a value to encode.
type jsonHandler func(op string, body []byte) (any, *apiError)

func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, service string, h jsonHandler) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	s.record(service, op)
	body, _ := io.ReadAll(r.Body)
	out, apiErr := h(op, body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if apiErr != nil {
		w.Header().Set("X-Amzn-ErrorType", apiErr.Code)
		w.WriteHeader(apiErr.Status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": apiErr.Code, "message": apiErr.Message})
		return
	}
	_ = json.NewEncoder(w).Encode(out)
}

// queryHandler answers one query-protocol operation with the inner XML of
// its <OpResult> element.
type queryHandler func(op string, form map[string][]string) (string, *apiError)

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, service string, h queryHandler) {
	_ = r.ParseForm()
	op := r.PostForm.Get("Action")
	s.record(service, op)
	result, apiErr := h(op, r.PostForm)
	w.Header().Set("Content-Type", "text/xml")
	if apiErr != nil {
		w.WriteHeader(apiErr.Status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
			escape(apiErr.Code), escape(apiErr.Message))
		return
	}
	fmt.Fprintf(w, `<%[1]sResponse><%[1]sResult>%[2]s</%[1]sResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></%[1]sResponse>`, op, result)
}

// restError writes a REST JSON error (Lambda).
func restError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": e.Message})
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(http.StatusBadRequest, "SerializationException", "%v", err)
	}
	return nil
}

func unknownOperation(service, op string) *apiError {
	return errorf(http.StatusBadRequest, "UnknownOperationException", "fakeaws %s does not implement %s", service, op)
}
