package fakeaws

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Object is one S3 object.
type Object struct {
	Key          string
	Body         []byte
	LastModified time.Time
}

// objectsPerPage is small so that tests exercise ListObjectsV2 pagination.
const objectsPerPage = 2

// AddBucket creates an empty bucket.
func (s *Server) AddBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; !ok {
		s.buckets[name] = map[string]Object{}
	}
}

// PutObject stores an object (the bucket must exist); a zero LastModified
// means now. Tests write objects this way rather than through the SDK,
// whose PutObject streams an aws-chunked body this fake does not decode.
func (s *Server) PutObject(bucket string, o Object) {
	if o.LastModified.IsZero() {
		o.LastModified = time.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[bucket][o.Key] = o
}

// Objects returns a bucket's objects by key.
func (s *Server) Objects(bucket string) map[string]Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.buckets[bucket])
}

// serveS3 answers the REST-XML operations the tools use, path-style
// (/bucket/key): ListObjectsV2, GetObject and DeleteObject.
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	op := r.Method + " object"
	switch {
	case r.Method == http.MethodGet && key == "" && q.Get("list-type") == "2":
		op = "ListObjectsV2"
	case r.Method == http.MethodGet && key != "":
		op = "GetObject"
	case r.Method == http.MethodDelete && key != "":
		op = "DeleteObject"
	}
	s.record("s3", op)
	s.mu.Lock()
	defer s.mu.Unlock()
	objects, ok := s.buckets[bucket]
	if !ok {
		s3Error(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	switch op {
	case "ListObjectsV2":
		s.listObjects(w, bucket, objects, q.Get("prefix"), q.Get("continuation-token"))
	case "GetObject":
		if s.kmsDenied != "" {
			e := s.kmsDecryptDenied(s.kmsDenied)
			s3Error(w, http.StatusForbidden, "AccessDenied", e.Message)
			return
		}
		o, ok := objects[key]
		if !ok {
			s3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		sum := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(o.Body))
		w.Header().Set("Content-Length", strconv.Itoa(len(o.Body)))
		w.Header().Set("Last-Modified", o.LastModified.UTC().Format(http.TimeFormat))
		w.Header().Set("x-amz-checksum-crc32", base64.StdEncoding.EncodeToString(sum))
		_, _ = w.Write(o.Body)
	case "DeleteObject":
		// S3 answers 204 whether or not the key existed.
		delete(objects, key)
		w.WriteHeader(http.StatusNoContent)
	default:
		s3Error(w, http.StatusNotImplemented, "NotImplemented", "fakeaws s3 does not implement "+op)
	}
}

func (s *Server) listObjects(w http.ResponseWriter, bucket string, objects map[string]Object, prefix, token string) {
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(objects)) {
		if strings.HasPrefix(k, prefix) && k > token {
			keys = append(keys, k)
		}
	}
	truncated := len(keys) > objectsPerPage
	if truncated {
		keys = keys[:objectsPerPage]
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys><IsTruncated>%t</IsTruncated>`,
		escape(bucket), escape(prefix), len(keys), objectsPerPage, truncated)
	for _, k := range keys {
		o := objects[k]
		fmt.Fprintf(&b, `<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>"fake"</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`,
			escape(k), o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"), len(o.Body))
	}
	if truncated {
		// The last key returned: the next page starts after it.
		fmt.Fprintf(&b, `<NextContinuationToken>%s</NextContinuationToken>`, escape(keys[len(keys)-1]))
	}
	b.WriteString(`</ListBucketResult>`)
	w.Header().Set("Content-Type", "application/xml")
	_, _ = w.Write([]byte(b.String()))
}

func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fake</RequestId></Error>`, escape(code), escape(message))
}
