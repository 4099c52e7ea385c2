package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"

	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
)

// helpTextCommand is the hidden subcommand that prints `external-dns --help`. kingpin ends
// the process after printing help, so `flags` runs it as a child and reads its output.
const helpTextCommand = "__help-text"

// Flag is one flag as the help lists it.
type Flag struct {
	Name    string `json:"name"`
	Boolean bool   `json:"boolean"`
}

// A flag line of kingpin's help: two spaces, an optional short flag, then the long flag;
// a boolean flag is shown as --[no-]name.
var flagLine = regexp.MustCompile(`^  (?:-[A-Za-z0-9], )?--(\[no-\])?([A-Za-z0-9][A-Za-z0-9._-]*)`)

// printHelpText parses --help with the release's own flag definitions (Config.ParseFlags),
// exactly what `external-dns --help` runs; kingpin prints the help and exits.
func printHelpText() {
	err := externaldns.NewConfig().ParseFlags([]string{"--help"})
	fmt.Fprintln(os.Stderr, "oracle: --help did not exit:", err)
	os.Exit(1)
}

func printFlags(out io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var help, stderr bytes.Buffer
	child := exec.Command(self, helpTextCommand)
	child.Stdout, child.Stderr = &help, &stderr
	if err := child.Run(); err != nil {
		return fmt.Errorf("external-dns --help: %w: %s", err, stderr.String())
	}
	// kingpin writes usage to stdout or stderr depending on release; take whichever has it.
	text := help.Bytes()
	if len(bytes.TrimSpace(text)) == 0 {
		text = stderr.Bytes()
	}
	flags := parseHelp(text)
	if len(flags) == 0 {
		return fmt.Errorf("no flags found in external-dns --help output:\n%s", text)
	}
	writer := bufio.NewWriter(out)
	for _, flag := range flags {
		line, err := json.Marshal(flag)
		if err != nil {
			return err
		}
		if _, err := writer.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return writer.Flush()
}

func parseHelp(text []byte) []Flag {
	var flags []Flag
	scanner := bufio.NewScanner(bytes.NewReader(text))
	scanner.Buffer(make([]byte, 1<<16), 1<<20)
	for scanner.Scan() {
		if match := flagLine.FindStringSubmatch(scanner.Text()); match != nil {
			flags = append(flags, Flag{Name: match[2], Boolean: match[1] != ""})
		}
	}
	return flags
}
