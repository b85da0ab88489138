package kassa_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The project's Markdown: README.md, the other top-level documents and docs/*.md.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "CHANGELOG.md", "SECURITY.md", "BENCHMARKS.md"}
	more, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append(files, more...)
}

var (
	goMarker = regexp.MustCompile(`^<!-- go: (\S+) -->$`)
	mdLink   = regexp.MustCompile(`\]\(([^)\s]+)\)|<img src="([^"]+)"`)
)

// TestDocs_GoSnippetsCompile: every Go snippet in the documents is a verbatim excerpt
// of a Go file that CI compiles (an example, a test, a program), named by the
// "<!-- go: path -->" line above it. So no snippet can drift from the API: change
// the API and the file stops compiling; change the file and this test names the
// snippet to update.
func TestDocs_GoSnippetsCompile(t *testing.T) {
	snippets := 0
	for _, file := range markdownFiles(t) {
		lines := readLines(t, file)
		for i := 0; i < len(lines); i++ {
			if !strings.HasPrefix(lines[i], "```go") {
				continue
			}
			fence, end := i, i+1
			for end < len(lines) && !strings.HasPrefix(lines[end], "```") {
				end++
			}
			i = end
			snippets++
			at := file + ":" + strconv.Itoa(fence+1)
			var m []string
			if prev := lastNonBlank(lines, fence); prev >= 0 {
				m = goMarker.FindStringSubmatch(lines[prev])
			}
			if m == nil {
				t.Errorf("%s: a Go snippet without a <!-- go: path --> line above it naming the compiled file it comes from", at)
				continue
			}
			src, err := os.ReadFile(m[1])
			if err != nil {
				t.Errorf("%s: %v", at, err)
				continue
			}
			if !containsRun(strings.Split(string(src), "\n"), lines[fence+1:end]) {
				t.Errorf("%s: the snippet is not a verbatim excerpt of %s (compared line by line, indentation and blank lines aside)", at, m[1])
			}
		}
	}
	if snippets == 0 {
		t.Fatal("no Go snippets found: the test reads the wrong files")
	}
}

// lastNonBlank returns the index of the last non-blank line before lines[fence].
func lastNonBlank(lines []string, fence int) int {
	for j := fence - 1; j >= 0; j-- {
		if strings.TrimSpace(lines[j]) != "" {
			return j
		}
	}
	return -1
}

// containsRun reports whether block's non-blank lines, trimmed, appear in src as a
// contiguous run of its non-blank lines, trimmed.
func containsRun(src, block []string) bool {
	norm := func(ls []string) []string {
		var out []string
		for _, l := range ls {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	s, b := norm(src), norm(block)
	if len(b) == 0 {
		return false
	}
	for i := 0; i+len(b) <= len(s); i++ {
		match := true
		for j := range b {
			if s[i+j] != b[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// TestDocs_LinksResolve: every relative link in the documents names a file of the
// repository, and every #anchor a heading of its target.
func TestDocs_LinksResolve(t *testing.T) {
	links := 0
	for _, file := range markdownFiles(t) {
		fence := false
		for n, line := range readLines(t, file) {
			if strings.HasPrefix(line, "```") {
				fence = !fence
			}
			if fence {
				continue
			}
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1] + m[2]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				links++
				at := file + ":" + strconv.Itoa(n+1)
				path, anchor, _ := strings.Cut(target, "#")
				dest := file
				if path != "" {
					dest = filepath.Join(filepath.Dir(file), path)
					if _, err := os.Stat(dest); err != nil {
						t.Errorf("%s: link to %s: %v", at, target, err)
						continue
					}
				}
				if anchor != "" && !hasAnchor(t, dest, anchor) {
					t.Errorf("%s: link to %s: %s has no heading #%s", at, target, dest, anchor)
				}
			}
		}
	}
	if links == 0 {
		t.Fatal("no links found")
	}
}

// hasAnchor reports whether the Markdown file has a heading whose GitHub anchor is
// anchor: lower case, punctuation other than - and _ dropped, spaces as -.
func hasAnchor(t *testing.T, file, anchor string) bool {
	fence := false
	for _, line := range readLines(t, file) {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if fence || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
				b.WriteRune(r)
			}
		}
		if b.String() == anchor {
			return true
		}
	}
	return false
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), "\n")
}
