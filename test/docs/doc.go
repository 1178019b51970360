// Package docs checks the user documentation, README.md and docs/*.md, the
// way a reader meets it on GitHub: every relative link and #anchor leads
// somewhere, every page under docs/ opens with its title and a one-paragraph
// summary and is reachable from the README, the README stays short
// enough to read before deciding to use orderly, and its failed-events
// table and alarm list say what the golden templates (test/testdata) hold. It has no non-test code and
// imports nothing from CDK, so it runs in milliseconds.
package docs
