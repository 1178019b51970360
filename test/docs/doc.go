// Package docs checks the user documentation, README.md and docs/*.md, the
// way a reader meets it on GitHub: every relative link and #anchor leads
// somewhere, every page under docs/ opens with its title and a one-paragraph
// summary and is reachable from the README, and the README stays short
// enough to read before deciding to use orderly. It has no non-test code and
// imports nothing from CDK, so it runs in milliseconds.
package docs
