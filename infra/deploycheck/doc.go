// Package deploycheck holds the tools run around `cdk deploy`: preflight
// (read-only checks of the account before a deploy) and smoke (a canary
// through a deployed stack). They read the environment's settings through
// infra/config, like the CDK app, but import nothing from the CDK.
package deploycheck
