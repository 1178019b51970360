package config

import "fmt"

// The two stack kinds. The kind is part of the CloudFormation stack name
// (StackName); the construct id is what `cdk deploy` selects.
const (
	KindKinesis = "kinesis"
	KindFifo    = "fifo"

	KinesisStackID = "KinesisStack"
	FifoStackID    = "FifoStack"
)

// StackKinds lists the kinds in the order the tools present them.
var StackKinds = []string{KindKinesis, KindFifo}

// StackID is the construct id of a stack kind, as `cdk deploy` names it.
func StackID(kind string) string {
	if kind == KindFifo {
		return FifoStackID
	}
	return KinesisStackID
}

// CheckKind rejects anything but KindKinesis and KindFifo.
func CheckKind(kind string) error {
	if kind != KindKinesis && kind != KindFifo {
		return fmt.Errorf("unknown stack %q: choose %s or %s", kind, KindKinesis, KindFifo)
	}
	return nil
}

// RulesAdded is how many EventBridge rules a stack kind puts on the bus:
// one, except static FIFO grouping with N > 1 groups, which needs a rule per
// group plus a catch-all (a classic rule can set only a static group id).
// A test counts the rules of every synthesized template against it.
func (c Config) RulesAdded(kind string) int {
	if kind == KindFifo && !c.Fifo.Groups.PerKey && c.Fifo.Groups.Count > 1 {
		return c.Fifo.Groups.Count + 1
	}
	return 1
}
