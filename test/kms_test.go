package test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/keypolicy"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/infra/stacks"
)

// The environment the template's pseudo parameters stand for when a test
// evaluates a key policy.
const (
	testPartition = "aws"
	testRegion    = "eu-west-1"
	testAccount   = "111122223333"
)

// TestCustomerManagedKeyEncryptsEveryStore: with encryption.kmsKey, every
// queue, the stream, the bus, its archive, the bucket and every log group
// name the key, and the stack says which key it is.
func TestCustomerManagedKeyEncryptsEveryStore(t *testing.T) {
	forEachKMSStack(t, func(t *testing.T, s *synthesis, id string, key any) {
		queues := s.resources(id, "AWS::SQS::Queue")
		if len(queues) == 0 {
			t.Fatal("no queue")
		}
		for qid, q := range queues {
			expect(t, qid+" KmsMasterKeyId", q["KmsMasterKeyId"], key)
			expect(t, qid+" SqsManagedSseEnabled", q["SqsManagedSseEnabled"], nil)
		}
		for gid, g := range s.resources(id, "AWS::Logs::LogGroup") {
			expect(t, gid+" KmsKeyId", g["KmsKeyId"], key)
		}
		for bid, b := range s.resources(id, "AWS::Events::EventBus") {
			expect(t, bid+" KmsKeyIdentifier", b["KmsKeyIdentifier"], key)
		}
		for aid, a := range s.resources(id, "AWS::Events::Archive") {
			expect(t, aid+" KmsKeyIdentifier", a["KmsKeyIdentifier"], key)
		}
		if s.cfg.Bus.Existing == "" && len(s.resources(id, "AWS::Events::EventBus")) != 1 {
			t.Error("the stack creates no bus")
		}
		if id == stacks.KinesisStackID {
			_, stream := s.only(t, id, "AWS::Kinesis::Stream")
			expect(t, "StreamEncryption", stream["StreamEncryption"], map[string]any{"EncryptionType": "KMS", "KeyId": key})
			_, bucket := s.only(t, id, "AWS::S3::Bucket")
			expect(t, "BucketEncryption", bucket["BucketEncryption"], map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
				"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
				"BucketKeyEnabled":              true,
			}}})
		}
		output, _ := s.templates[id]["Outputs"].(map[string]any)[outputs.EncryptionKeyArn].(map[string]any)
		expect(t, "output "+outputs.EncryptionKeyArn, output["Value"], key)
	})
}

// TestCreatedKeyIsRotatedAndFollowsTheRemovalPolicy: one key per stack,
// rotated, removed as the environment says; an imported key creates none.
func TestCreatedKeyIsRotatedAndFollowsTheRemovalPolicy(t *testing.T) {
	forEachKMSStack(t, func(t *testing.T, s *synthesis, id string, key any) {
		keys := s.resources(id, "AWS::KMS::Key")
		if !s.cfg.Encryption.CreatesKey() {
			expect(t, "created keys", len(keys), 0)
			return
		}
		kid, props := s.only(t, id, "AWS::KMS::Key")
		expect(t, "EnableKeyRotation", props["EnableKeyRotation"], true)
		res := s.templates[id]["Resources"].(map[string]any)[kid].(map[string]any)
		expect(t, "DeletionPolicy", res["DeletionPolicy"], "Delete") // dev's removalPolicy = destroy
	})
}

// TestKeyPolicyCoversEveryServiceThatWrites derives from the template every
// principal that writes to an encrypted store (the services named in the
// queue policies, EventBridge for the bus and its archive, CloudWatch Logs
// for the log groups, and the roles granted the key) and evaluates the key
// policy for each: the created key's own policy, or, for an imported key,
// the statements docs/operations.md tells its owner to add.
func TestKeyPolicyCoversEveryServiceThatWrites(t *testing.T) {
	docs := docsKeyStatements(t)
	forEachKMSStack(t, func(t *testing.T, s *synthesis, id string, key any) {
		uses := s.keyUses(t, id)
		var policy any
		if s.cfg.Encryption.CreatesKey() {
			_, props := s.only(t, id, "AWS::KMS::Key")
			policy = s.resolve(id, props["KeyPolicy"])
		} else {
			policy = docsPolicy(t, docs, s.busName(id), s.cfg.StackName(stackKind(id)))
		}
		raw, err := json.Marshal(policy)
		if err != nil {
			t.Fatal(err)
		}
		results, err := keypolicy.Check(string(raw), fmt.Sprint(s.resolve(id, key)), uses)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Verdict != keypolicy.Allowed {
				t.Errorf("%s (%s) is %s %v by the key policy %s", r.Statement.Principal, r.Statement.Why, r.Verdict, r.Actions, r.Detail)
			}
		}
	})
}

// TestRolesHoldExactlyTheKeyActionsTheyUse: the consumer's role decrypts
// (its event source, the poison queue) and generates data keys (the poison
// queue, the on-failure bucket); the pipe's role reads one queue and sends
// to another; EventBridge's role for the stream only generates data keys.
// No role gets any other KMS action, or one on another key, save the
// consumer's kms:Decrypt on the secret's key through Secrets Manager.
func TestRolesHoldExactlyTheKeyActionsTheyUse(t *testing.T) {
	forEachKMSStack(t, func(t *testing.T, s *synthesis, id string, key any) {
		k := fmt.Sprint(s.resolve(id, key))
		consumer := map[string]string{k: "kms:Decrypt kms:GenerateDataKey"}
		if s.cfg.Function.APIKeySecretKMSKey != "" {
			consumer[s.cfg.Function.APIKeySecretKMSKey+" if kms:ViaService=secretsmanager."+testRegion+".amazonaws.com"] = "kms:Decrypt"
		}
		want := map[string]map[string]string{"lambda.amazonaws.com": consumer}
		if id == stacks.KinesisStackID {
			want["events.amazonaws.com"] = map[string]string{k: "kms:GenerateDataKey"}
		}
		if id == stacks.FifoStackID && s.cfg.Fifo.Groups.PerKey {
			want["pipes.amazonaws.com"] = map[string]string{k: "kms:Decrypt kms:GenerateDataKey"}
		}
		got := s.roleKeyActions(t, id)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("KMS actions by role (assumed by):\n got %v\nwant %v", got, want)
		}
	})
}

// TestCdkNagWithAKey: the AwsSolutions (KMS key rotation included) and
// Serverless packs find nothing with a created or an imported key.
func TestCdkNagWithAKey(t *testing.T) {
	forEachKMSStack(t, func(t *testing.T, s *synthesis, id string, _ any) {
		expectNoNagFindings(t, s.stacks[id])
	})
}

// forEachKMSStack runs check on every stack of every encrypted case, with
// the template's reference to the key: the created key's ARN attribute or
// the imported ARN.
func forEachKMSStack(t *testing.T, check func(t *testing.T, s *synthesis, id string, key any)) {
	for _, sc := range kmsModes() {
		s := synth(t, sc.env, sc.overrides)
		for _, id := range []string{stacks.KinesisStackID, stacks.FifoStackID} {
			if sc.fifoOnly && id != stacks.FifoStackID {
				continue
			}
			t.Run(sc.name+"/"+id, func(t *testing.T) { check(t, s, id, s.keyRef(t, id)) })
		}
	}
}

// keyRef is the template's reference to the stack's key: the created key's
// ARN attribute, the imported ARN, or nil without a key.
func (s *synthesis) keyRef(t testing.TB, id string) any {
	switch {
	case s.cfg.Encryption.CreatesKey():
		return map[string]any{"Fn::GetAtt": []any{s.logicalID(t, id, "AWS::KMS::Key"), "Arn"}}
	case s.cfg.Encryption.Enabled():
		return s.cfg.Encryption.ImportedKeyARN()
	}
	return nil
}

func stackKind(id string) string {
	if id == stacks.KinesisStackID {
		return "kinesis"
	}
	return "fifo"
}

// busName is the created bus's name, "" for an imported bus.
func (s *synthesis) busName(id string) string {
	for _, b := range s.resources(id, "AWS::Events::EventBus") {
		return fmt.Sprint(b["Name"])
	}
	return ""
}

// keyUses are the calls on the key the template implies, as required
// statements for keypolicy.Check.
func (s *synthesis) keyUses(t *testing.T, id string) []keypolicy.Statement {
	t.Helper()
	var uses []keypolicy.Statement
	// A service a queue policy lets send to an encrypted queue sends as
	// itself, and so does EventBridge to a rule's SQS target or dead-letter
	// queue (whether or not a queue policy lets it): the key policy must
	// allow them.
	senders := map[string]bool{}
	queues := s.resources(id, "AWS::SQS::Queue")
	for _, r := range s.resources(id, "AWS::Events::Rule") {
		for _, tg := range r["Targets"].([]any) {
			target := tg.(map[string]any)
			dlq, _ := target["DeadLetterConfig"].(map[string]any)
			for _, arn := range []any{target["Arn"], dlq["Arn"]} {
				m, _ := arn.(map[string]any)
				if ref, ok := m["Fn::GetAtt"].([]any); ok {
					if _, isQueue := queues[fmt.Sprint(ref[0])]; isQueue {
						senders["events.amazonaws.com"] = true
					}
				}
			}
		}
	}
	for _, p := range s.resources(id, "AWS::SQS::QueuePolicy") {
		for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			stmt := st.(map[string]any)
			principal, _ := stmt["Principal"].(map[string]any)
			service, _ := principal["Service"].(string)
			if stmt["Effect"] == "Allow" && service != "" && slices.Contains(strs(stmt["Action"]), "sqs:SendMessage") {
				senders[service] = true
			}
		}
	}
	if len(senders) == 0 {
		t.Fatal("no service sends to a queue: the derivation found nothing to check")
	}
	for _, service := range slices.Sorted(maps.Keys(senders)) {
		uses = append(uses, keypolicy.Statement{Principal: keypolicy.Principal{Service: service}, Actions: []string{"kms:GenerateDataKey", "kms:Decrypt"}, Why: "sends to an encrypted queue"})
	}
	if bus := s.busName(id); bus != "" {
		busArn := "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/" + bus
		context := map[string]string{"kms:EncryptionContext:aws:events:event-bus:arn": busArn, "aws:SourceAccount": testAccount, "aws:SourceArn": busArn}
		uses = append(uses,
			keypolicy.Statement{Principal: keypolicy.Principal{Service: "events.amazonaws.com"}, Actions: []string{"kms:GenerateDataKey", "kms:Decrypt"}, Request: context, Why: "encrypts the bus"},
			keypolicy.Statement{Principal: keypolicy.Principal{Service: "events.amazonaws.com"}, Actions: []string{"kms:DescribeKey"}, Why: "checks the bus's key"})
		if len(s.resources(id, "AWS::Events::Archive")) > 0 {
			uses = append(uses, keypolicy.Statement{Principal: keypolicy.Principal{Service: "events.amazonaws.com"}, Actions: []string{"kms:ReEncryptFrom", "kms:ReEncryptTo"}, Request: context, Why: "encrypts the archive"})
		}
	}
	if len(s.resources(id, "AWS::Logs::LogGroup")) > 0 {
		uses = append(uses, keypolicy.Statement{
			Principal: keypolicy.Principal{Service: "logs." + testRegion + ".amazonaws.com"},
			Actions:   []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:DescribeKey"},
			Request:   map[string]string{"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:" + testRegion + ":" + testAccount + ":log-group:" + s.cfg.StackName(stackKind(id)) + "-ConsumerLogs-AbC"},
			Why:       "encrypts the log groups",
		})
	}
	// A role's IAM grant counts only where the key policy lets the
	// account's IAM policies decide.
	var roleActions []string
	for _, byKey := range s.roleKeyActions(t, id) {
		for _, actions := range byKey {
			roleActions = append(roleActions, strings.Fields(actions)...)
		}
	}
	slices.Sort(roleActions)
	uses = append(uses, keypolicy.Statement{
		Principal: keypolicy.Principal{AWS: "arn:aws:iam::" + testAccount + ":root"}, Actions: slices.Compact(roleActions),
		Request: map[string]string{"kms:CallerAccount": testAccount, "aws:PrincipalAccount": testAccount}, Why: "the roles' IAM grants",
	})
	return uses
}

// roleKeyActions are the KMS actions of every role's policies, by the
// service that assumes the role, then by key ARN (with the condition,
// if any): space-separated and sorted.
func (s *synthesis) roleKeyActions(t *testing.T, id string) map[string]map[string]string {
	t.Helper()
	assumedBy := map[string]string{}
	for rid, r := range s.resources(id, "AWS::IAM::Role") {
		doc := r["AssumeRolePolicyDocument"].(map[string]any)
		principal := doc["Statement"].([]any)[0].(map[string]any)["Principal"].(map[string]any)
		assumedBy[rid] = fmt.Sprint(principal["Service"])
	}
	out := map[string]map[string]string{}
	for _, p := range s.resources(id, "AWS::IAM::Policy") {
		for _, role := range p["Roles"].([]any) {
			service := assumedBy[fmt.Sprint(role.(map[string]any)["Ref"])]
			for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				stmt := st.(map[string]any)
				var actions []string
				for _, a := range strs(stmt["Action"]) {
					if strings.HasPrefix(a, "kms:") {
						actions = append(actions, a)
					}
				}
				if len(actions) == 0 {
					continue
				}
				if stmt["Effect"] != "Allow" {
					t.Errorf("%s: a KMS statement that is not Allow: %v", service, stmt)
				}
				resources, _ := s.resolve(id, stmt["Resource"]).([]any)
				if resources == nil {
					resources = []any{s.resolve(id, stmt["Resource"])}
				}
				for _, r := range resources {
					where := fmt.Sprint(r)
					if c, ok := stmt["Condition"].(map[string]any); ok {
						for _, kv := range s.resolve(id, c).(map[string]any) {
							for k, v := range kv.(map[string]any) {
								where += " if " + k + "=" + fmt.Sprint(v)
							}
						}
					}
					if out[service] == nil {
						out[service] = map[string]string{}
					}
					all := append(strings.Fields(out[service][where]), actions...)
					slices.Sort(all)
					out[service][where] = strings.Join(slices.Compact(all), " ")
				}
			}
		}
	}
	return out
}

// resolve evaluates the intrinsics a key policy or grant uses, with the
// pseudo parameters of the test environment and a created key's ARN.
func (s *synthesis) resolve(id string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if ref, ok := x["Ref"].(string); ok {
				switch ref {
				case "AWS::Partition":
					return testPartition
				case "AWS::Region":
					return testRegion
				case "AWS::AccountId":
					return testAccount
				case "AWS::URLSuffix":
					return "amazonaws.com"
				}
				return "ref:" + ref
			}
			if getAtt, ok := x["Fn::GetAtt"].([]any); ok {
				if _, isKey := s.resources(id, "AWS::KMS::Key")[fmt.Sprint(getAtt[0])]; isKey && getAtt[1] == "Arn" {
					return "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/created-" + fmt.Sprint(getAtt[0])
				}
				return fmt.Sprintf("getatt:%v.%v", getAtt[0], getAtt[1])
			}
			if join, ok := x["Fn::Join"].([]any); ok {
				var parts []string
				for _, p := range join[1].([]any) {
					parts = append(parts, fmt.Sprint(s.resolve(id, p)))
				}
				return strings.Join(parts, join[0].(string))
			}
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = s.resolve(id, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = s.resolve(id, e)
		}
		return out
	}
	return v
}

// docsKeyStatements are the statements docs/operations.md prints for the
// owner of an imported key.
func docsKeyStatements(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleRoot, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	const start, end = "<!-- key-policy:start -->\n```json\n", "```\n<!-- key-policy:end -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatal("docs/operations.md prints no key policy statements")
	}
	return doc[i+len(start) : j]
}

// docsPolicy is the imported key's policy once its owner added the docs'
// statements, placeholders filled in.
func docsPolicy(t *testing.T, statements, bus, stackName string) any {
	t.Helper()
	if bus == "" {
		bus = "not-this-stacks-bus"
	}
	filled := strings.NewReplacer("<region>", testRegion, "<account>", testAccount, "<bus name>", bus, "<stack name>", stackName).Replace(statements)
	var policy any
	if err := json.Unmarshal([]byte(filled), &policy); err != nil {
		t.Fatalf("the docs' key policy statements are not JSON: %v", err)
	}
	return policy
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = fmt.Sprint(e)
		}
		return out
	}
	return nil
}
