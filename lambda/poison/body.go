package poison

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxBodyBytes is the largest body the sink sends: SQS's classic 256 KiB
// message limit, which every queue accepts. Larger payloads are replaced by
// their size and hash; the record id still locates the original.
const MaxBodyBytes = 256 * 1024

// KindIsolated marks a message of the isolated queue: a record taken out of
// line because its period kept failing while others succeeded
// (ordering.Isolation). Poison messages leave Kind empty.
const KindIsolated = "isolated"

// Message is the JSON body of a poison or isolated message (without the
// payload).
type Message struct {
	// Kind is empty for a poison message, KindIsolated for an isolated one.
	Kind      string `json:"kind,omitempty"`
	Reason    string `json:"reason"`
	Source    string `json:"source,omitempty"`
	Partition string `json:"partition"`
	RecordID  string `json:"recordId"`
	// PoisonedAt is when the record was parked (poisoned or isolated).
	PoisonedAt time.Time `json:"poisonedAt"`
	// Period, ArrivedAt and LastError describe an isolated record: the
	// failing period, when the record entered the stream or queue, and
	// the handler's last error.
	Period    string     `json:"period,omitempty"`
	ArrivedAt *time.Time `json:"arrivedAt,omitempty"`
	LastError string     `json:"lastError,omitempty"`
	// Exactly one of Payload (the original, when it is JSON) and
	// PayloadBase64 (anything else) is set, unless PayloadOmitted.
	Payload        json.RawMessage `json:"payload,omitempty"`
	PayloadBase64  string          `json:"payloadBase64,omitempty"`
	PayloadOmitted bool            `json:"payloadOmitted,omitempty"`
	PayloadBytes   int             `json:"payloadBytes"`
	PayloadSHA256  string          `json:"payloadSha256"`
}

// Body builds the message body for payload: raw JSON when the payload is
// JSON that SQS can carry, base64 otherwise, omitted when too large; an
// isolated message never omits it (it is the only copy left in flight), so
// a payload too large for it is an error, and the record stays in line.
func Body(m Message, payload []byte) (string, error) {
	sum := sha256.Sum256(payload)
	m.PayloadBytes, m.PayloadSHA256 = len(payload), hex.EncodeToString(sum[:])
	m.Reason = sanitize(m.Reason)
	m.Partition = sanitize(m.Partition)
	m.RecordID = sanitize(m.RecordID)
	m.Period = sanitize(m.Period)
	m.LastError = sanitize(m.LastError)

	candidates := []func(*Message){
		func(m *Message) { m.Payload = payload },
		func(m *Message) { m.PayloadBase64 = base64.StdEncoding.EncodeToString(payload) },
		func(m *Message) { m.PayloadOmitted = true },
	}
	if !json.Valid(payload) || !validSQSText(string(payload)) {
		candidates = candidates[1:]
	}
	if m.Kind == KindIsolated {
		candidates = candidates[:len(candidates)-1]
	}
	for _, fill := range candidates {
		attempt := m
		fill(&attempt)
		b, err := json.Marshal(attempt)
		if err != nil {
			return "", fmt.Errorf("marshal poison message: %w", err)
		}
		if len(b) <= MaxBodyBytes {
			return string(b), nil
		}
	}
	if m.Kind == KindIsolated {
		return "", fmt.Errorf("isolated message for record %s would exceed %d bytes with its %d-byte payload", m.RecordID, MaxBodyBytes, len(payload))
	}
	return "", fmt.Errorf("poison message for record %s exceeds %d bytes even without its payload", m.RecordID, MaxBodyBytes)
}

// validSQSText reports whether s only holds characters SQS accepts in a
// message: #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF.
func validSQSText(s string) bool {
	for _, r := range s {
		if !sqsRune(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

func sqsRune(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// sanitize replaces characters SQS would reject. json.Marshal escapes
// control characters, but U+FFFE/U+FFFF would pass through verbatim.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || sqsRune(r) || r < 0x20 {
			return r
		}
		return utf8.RuneError
	}, s)
}
