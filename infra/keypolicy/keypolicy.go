// Package keypolicy states what the policy of orderly's customer managed
// key (encryption.kmsKey) must allow, derived from what the stacks wire:
// the AWS services that use the key as themselves, with no role of the
// stack to grant it to (EventBridge encrypting the bus, its archive and the
// messages it sends to encrypted queues; CloudWatch Logs encrypting the log
// groups), and, for a key the stacks import, the delegation that lets the
// roles the stacks create use it through their IAM policies.
//
// One source for three readers: the relay adds the service statements to a
// key it creates, docs/operations.md prints them for the owner of an
// imported key, and preflight checks an imported key's policy with Check.
// It imports nothing from the CDK, so the deploy tools build without it.
package keypolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// EventBridge is the service principal of EventBridge.
const EventBridge = "events.amazonaws.com"

// CloudWatchLogs is the service principal of CloudWatch Logs in region:
// Logs names itself by region in key policies.
func CloudWatchLogs(region string) string { return "logs." + region + ".amazonaws.com" }

// Where is where a stack deploys and what it encrypts with the key. The
// relay fills it with CloudFormation tokens, preflight with real values,
// and the docs with placeholders.
type Where struct {
	Partition, Region, Account string
	// StackName names the stack; CloudFormation names a log group it
	// creates after it, which preflight uses as the sample log group.
	StackName string
	// BusName is the bus the stack creates, and encrypts with the key; ""
	// when the stack imports a bus, which keeps its own encryption.
	BusName string
	// Archive is true when the created bus has an archive.
	Archive bool
}

// BusArn is the ARN of the created bus.
func (w Where) BusArn() string {
	return "arn:" + w.Partition + ":events:" + w.Region + ":" + w.Account + ":event-bus/" + w.BusName
}

// AccountRoot is the principal that stands for the account's IAM policies.
func (w Where) AccountRoot() string { return "arn:" + w.Partition + ":iam::" + w.Account + ":root" }

// Principal is the one principal a required statement names: a service,
// or (AWS) an account's root.
type Principal struct {
	Service string `json:"Service,omitempty"`
	AWS     string `json:"AWS,omitempty"`
}

// Statement is one statement the key policy must hold.
type Statement struct {
	Sid       string
	Principal Principal
	Actions   []string
	// Condition is the statement's condition block: operator, then
	// condition key, then value.
	Condition map[string]map[string]string
	// Request is the request context the principal's calls carry, by
	// condition key: Check evaluates a policy's conditions against it.
	Request map[string]string
	// Why says which wired resource needs it.
	Why string
}

// Statement ids of the required statements, as the docs print them.
const (
	SidEventBridgeQueues      = "OrderlyEventBridgeEncryptedQueues"
	SidEventBridgeBus         = "OrderlyEventBridgeBusAndArchive"
	SidEventBridgeDescribeKey = "OrderlyEventBridgeDescribeKey"
	SidCloudWatchLogs         = "OrderlyCloudWatchLogsLogGroups"
	SidAccountIAM             = "OrderlyAccountIAMPolicies"
)

// encryptionContextBus is the encryption context EventBridge passes on
// every KMS call for a bus and for its archives: the bus ARN.
const encryptionContextBus = "kms:EncryptionContext:aws:events:event-bus:arn"

// encryptionContextLogs is the one CloudWatch Logs passes: the log group ARN.
const encryptionContextLogs = "kms:EncryptionContext:aws:logs:arn"

// ServiceStatements are the statements for the services that use the key
// as themselves; the relay adds exactly these to a key it creates.
func ServiceStatements(w Where) []Statement {
	var out []Statement
	if w.BusName != "" {
		bus := w.BusArn()
		actions := []string{"kms:Decrypt", "kms:GenerateDataKey"}
		why := "EventBridge encrypts the bus's events, rules and targets"
		if w.Archive {
			// The archive's own calls re-encrypt what the bus encrypted.
			actions = append(actions, "kms:ReEncrypt*")
			why += ", and the archive's events"
		}
		out = append(out,
			Statement{
				Sid: SidEventBridgeDescribeKey, Principal: Principal{Service: EventBridge}, Actions: []string{"kms:DescribeKey"},
				// A DescribeKey call carries no encryption context, so this
				// statement cannot share the bus statement's condition.
				Why: "EventBridge checks that the key of the bus (and archive) is a symmetric encryption key",
			},
			Statement{
				Sid: SidEventBridgeBus, Principal: Principal{Service: EventBridge}, Actions: actions,
				// The encryption context binds the statement to this bus:
				// EventBridge passes the bus ARN on every call for the bus
				// and its archives.
				Condition: map[string]map[string]string{"StringEquals": {encryptionContextBus: bus}},
				Request:   map[string]string{encryptionContextBus: bus, "aws:SourceAccount": w.Account, "aws:SourceArn": bus},
				Why:       why,
			})
	}
	out = append(out,
		Statement{
			Sid: SidEventBridgeQueues, Principal: Principal{Service: EventBridge}, Actions: []string{"kms:Decrypt", "kms:GenerateDataKey"},
			// AWS documents this statement without conditions (and, for
			// EventBridge sending to encrypted SNS topics, that
			// aws:SourceArn and aws:SourceAccount are not supported there);
			// the queue policies admit only the stack's own rules, which is
			// what keeps other EventBridge users out.
			Why: "EventBridge sends to the encrypted queues (the rule targets and their dead-letter queue)",
		},
		Statement{
			Sid: SidCloudWatchLogs, Principal: Principal{Service: CloudWatchLogs(w.Region)},
			Actions: []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
			// CloudFormation names the log groups, and the key must exist
			// (its policy included) before them, so the condition names
			// the account's log groups in the region rather than these.
			Condition: map[string]map[string]string{"ArnLike": {encryptionContextLogs: "arn:" + w.Partition + ":logs:" + w.Region + ":" + w.Account + ":log-group:*"}},
			Request:   map[string]string{encryptionContextLogs: "arn:" + w.Partition + ":logs:" + w.Region + ":" + w.Account + ":log-group:" + w.StackName + "-Logs"},
			Why:       "CloudWatch Logs encrypts the log groups",
		})
	return out
}

// AccountIAM is the statement an imported key's policy needs besides the
// service statements: the roles the stacks create (the consumer's, the
// pipe's, EventBridge's role for the stream) are granted the key in their
// IAM policies, which count only where the key policy lets the account's
// IAM policies allow it. A created key's default policy does.
func AccountIAM(w Where) Statement {
	return Statement{
		Sid: SidAccountIAM, Principal: Principal{AWS: w.AccountRoot()}, Actions: []string{"kms:Decrypt", "kms:GenerateDataKey"},
		Request: map[string]string{"kms:CallerAccount": w.Account, "aws:PrincipalAccount": w.Account},
		Why:     "the stacks' roles use the key through their IAM policies (the consumer, the pipe, EventBridge's role for the stream)",
	}
}

// Required is every statement a key's policy must hold: the service
// statements and, for an imported key, AccountIAM.
func Required(w Where, imported bool) []Statement {
	out := ServiceStatements(w)
	if imported {
		out = append(out, AccountIAM(w))
	}
	return out
}

// policyStatement is a statement as a key policy spells it.
type policyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal Principal                    `json:"Principal"`
	Action    []string                     `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// Document renders statements as the Statement list of a key policy, to be
// added to the policy's own statements.
func Document(statements []Statement) ([]byte, error) {
	out := make([]policyStatement, len(statements))
	for i, s := range statements {
		out[i] = policyStatement{Sid: s.Sid, Effect: "Allow", Principal: s.Principal, Action: slices.Clone(s.Actions), Resource: "*", Condition: s.Condition}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// The docs' placeholders are <region> and <account>, not \u003c...
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"Statement": out}); err != nil {
		return nil, fmt.Errorf("render key policy statements: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// DocsWhere is Where as the docs spell it: placeholders the owner of an
// imported key replaces.
var DocsWhere = Where{Partition: "aws", Region: "<region>", Account: "<account>", StackName: "<stack name>", BusName: "<bus name>", Archive: true}

// DocsBlock is the fenced JSON docs/operations.md prints: every statement
// an imported key's policy needs when the stack creates an archived bus.
func DocsBlock() (string, error) {
	b, err := Document(Required(DocsWhere, true))
	if err != nil {
		return "", err
	}
	return "```json\n" + string(b) + "\n```\n", nil
}
