package console

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/pmezard/go-difflib/difflib"
	"traderadmin.local/configcontract"

	"traderadmin.local/console/store"
	"traderadmin.local/console/tomledit"
)

// Files names the config and its schema.
type Files struct {
	Config string
	Schema string
	Keep   int // history entries kept; 0 means store.DefaultHistory
}

// Config is the file side of the console: form, judgement, save, backups.
type Config struct {
	files Files

	mu        sync.Mutex
	schemaSum string
	schema    *node
	compiled  *configcontract.Schema
}

// NewConfig serves the given files.
func NewConfig(files Files) *Config {
	if files.Keep == 0 {
		files.Keep = store.DefaultHistory
	}
	return &Config{files: files}
}

// Path is the config file's path.
func (c *Config) Path() string { return c.files.Config }

// loadSchema reads schema.json, compiling it again only when it changed.
func (c *Config) loadSchema() (*node, *configcontract.Schema, error) {
	data, err := os.ReadFile(c.files.Schema)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the schema %s: %w", c.files.Schema, err)
	}
	sum := store.Hash(data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if sum == c.schemaSum {
		return c.schema, c.compiled, nil
	}
	n, err := parseSchema(data)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the schema %s: %w", c.files.Schema, err)
	}
	j, err := configcontract.CompileSchema(data)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the schema %s: %w", c.files.Schema, err)
	}
	c.schemaSum, c.schema, c.compiled = sum, n, j
	return n, j, nil
}

// readConfig reads the file as the contract allows; a missing file says how to make one.
func (c *Config) readConfig() ([]byte, error) {
	data, err := configcontract.ReadFile(c.files.Config)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: create it from the schema with `invoke config.init` in the TraderAdmin repository", c.files.Config)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	return data, nil
}

// Form builds the form from the schema and the file's current values.
func (c *Config) Form() (*Form, error) {
	schema, judge, err := c.loadSchema()
	if err != nil {
		return nil, err
	}
	form := &Form{Path: c.files.Config, Tabs: []Tab{}, Problems: []Problem{}}
	var doc map[string]any
	data, err := c.readConfig()
	if err != nil {
		form.LoadError = err.Error()
	} else {
		form.SHA256 = configcontract.Hash(data)
		doc, err = configcontract.Parse(data)
		if err != nil {
			form.LoadError = fmt.Sprintf("%s is not a config the services can read: %v. Fix it by hand, or restore a backup", c.files.Config, err)
			form.Problems = problemsOf(err, schema, nil)
		} else {
			form.Problems = problemsOf(&configcontract.ConfigError{Issues: judge.Validate(doc)}, schema, doc)
		}
	}
	groups := schema.sections()
	for i, p := range schema.Properties {
		tab := Tab{Name: p.name, Title: title(p.name, p.node), Description: p.node.Description, Fields: []Field{}}
		for _, l := range groups[i] {
			tab.Fields = append(tab.Fields, formField(l, doc))
		}
		form.Tabs = append(form.Tabs, tab)
	}
	return form, nil
}

// formField is one setting as a form control, with its value in doc.
func formField(l leaf, doc map[string]any) Field {
	n := l.node
	f := Field{
		Key: l.key, Label: label(l.key, n), Description: n.Description, Kind: n.kind(),
		Unit: n.Unit, Enum: enumStrings(n.Enum), Minimum: n.Minimum, Maximum: n.Maximum,
		ExclusiveMinimum: n.ExclusiveMinimum, ExclusiveMaximum: n.ExclusiveMaximum,
		Pattern: n.Pattern, MinItems: n.MinItems, MaxItems: n.MaxItems, UniqueItems: n.UniqueItems,
		Allowed: n.allowed(), Default: jsonValue(n.Default),
		Secret: n.Secret || n.WriteOnly, Live: l.key == liveKey,
	}
	if f.Kind == "array" {
		f.ItemKind = itemKind(n)
		if n.Items != nil {
			f.Enum = enumStrings(n.Items.Enum)
			f.Pattern = n.Items.Pattern
		}
	}
	if v, ok := lookup(doc, l.key); ok {
		f.Value = v
	}
	return f
}

// liveKey is the setting whose switch to LIVE needs a confirmation.
const liveKey = "trading.mode"

// verdict is the file with edits applied, judged.
type verdict struct {
	base, next       []byte
	problems         []Problem
	needsLiveConfirm bool
}

// judge applies edits to data and judges the result with the contract.
func (c *Config) judge(data []byte, edits map[string]any) (*verdict, error) {
	schema, judge, err := c.loadSchema()
	if err != nil {
		return nil, err
	}
	v := &verdict{base: data, next: data}
	keys := make([]string, 0, len(edits))
	for k := range edits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ops []tomledit.Edit
	bad := map[string]bool{}
	for _, k := range keys {
		val, p := coerce(schema, k, edits[k])
		if p != nil {
			v.problems = append(v.problems, *p)
			bad[k] = true
			continue
		}
		ops = append(ops, tomledit.Edit{Key: k, Value: val})
	}
	if len(ops) > 0 {
		next, err := tomledit.Apply(data, ops)
		var ke *tomledit.KeyError
		switch {
		case errors.As(err, &ke):
			v.problems = append(v.problems, Problem{Key: ke.Key, Value: display(edits[ke.Key]), Message: ke.Msg, Fix: ke.Fix})
			return v, nil
		case err != nil:
			v.problems = append(v.problems, Problem{Message: err.Error(), Fix: "fix config.toml by hand, or restore a backup"})
			return v, nil
		}
		v.next = next
	}
	doc, err := configcontract.Parse(v.next)
	if err != nil {
		v.problems = append(v.problems, problemsOf(err, schema, nil)...)
		return v, nil
	}
	v.problems = append(v.problems, readBack(data, doc, ops)...)
	for _, p := range problemsOf(&configcontract.ConfigError{Issues: judge.Validate(doc)}, schema, doc) {
		if !bad[p.Key] {
			v.problems = append(v.problems, p)
		}
	}
	v.needsLiveConfirm = switchesToLive(data, doc)
	return v, nil
}

// switchesToLive tells whether going from the file before to doc turns
// trading.mode to LIVE (a file that does not parse counts as not LIVE).
func switchesToLive(before []byte, doc map[string]any) bool {
	old := ""
	if prev, err := configcontract.Parse(before); err == nil {
		old = modeOf(prev)
	}
	return modeOf(doc) == "LIVE" && old != "LIVE"
}

// judgeFile judges the file as it is on disk with edits applied.
func (c *Config) judgeFile(edits map[string]any) (*verdict, error) {
	data, err := c.readConfig()
	if err != nil {
		return nil, err
	}
	return c.judge(data, edits)
}

// readBack refuses an edit that would not read back as the old config with
// exactly these changes (the toolkit's _check_reads_back).
func readBack(base []byte, doc map[string]any, ops []tomledit.Edit) []Problem {
	before, err := configcontract.Parse(base)
	if err != nil {
		before = nil
	}
	want := flatten(before, "")
	for _, op := range ops {
		want[op.Key] = op.Value
	}
	got := flatten(doc, "")
	var out []Problem
	seen := map[string]bool{}
	for k := range want {
		seen[k] = true
	}
	for k := range got {
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if before == nil && want[k] == nil {
			continue // the old file did not parse: only the edited keys can be compared
		}
		if !same(want[k], got[k]) {
			out = append(out, Problem{Key: k, Value: display(got[k]),
				Message: fmt.Sprintf("would be read back as %s instead of %s", display(got[k]), display(want[k])),
				Fix:     "edit this key by hand in config.toml, and report the app's mistake"})
		}
	}
	return out
}

// Check judges the file with edits, for inline errors as the user types.
func (c *Config) Check(edits map[string]any) (*Judgement, error) {
	v, err := c.judgeFile(edits)
	if err != nil {
		return nil, err
	}
	return &Judgement{OK: len(v.problems) == 0, Problems: nonNil(v.problems), SHA256: configcontract.Hash(v.next), NeedsLiveConfirm: v.needsLiveConfirm}, nil
}

// Preview is the unified diff a save of edits would make.
func (c *Config) Preview(edits map[string]any) (*Preview, error) {
	v, err := c.judgeFile(edits)
	if err != nil {
		return nil, err
	}
	diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(v.base)), B: difflib.SplitLines(string(v.next)),
		FromFile: c.files.Config, ToFile: c.files.Config + " (edited)", Context: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("making the diff: %w", err)
	}
	return &Preview{Diff: diff, SHA256: configcontract.Hash(v.next), Problems: nonNil(v.problems),
		NeedsLiveConfirm: v.needsLiveConfirm, BaseSHA256: configcontract.Hash(v.base)}, nil
}

// ErrChangedOnDisk is the refusal of a save over a file that changed since the form read it.
var ErrChangedOnDisk = errors.New("config.toml changed on disk since you opened it; reload the form (your edits are kept in the form until you do)")

// Save applies edits to the file whose SHA-256 is baseSHA, keeping every
// comment and byte around them: judged first (refused when invalid, or a
// switch to LIVE without confirmLive; nothing written), then, under the
// toolkit's lock, judged again, backed up and written atomically.
func (c *Config) Save(edits map[string]any, baseSHA string, confirmLive bool) (*SaveResult, error) {
	return c.write(baseSHA, confirmLive, func(data []byte) (*verdict, error) { return c.judge(data, edits) })
}

func (c *Config) write(baseSHA string, confirmLive bool, build func(current []byte) (*verdict, error)) (*SaveResult, error) {
	attempt := func() (*verdict, error) {
		data, err := c.readConfig()
		if err != nil {
			return nil, err
		}
		if baseSHA != "" && configcontract.Hash(data) != baseSHA {
			return nil, ErrChangedOnDisk
		}
		v, err := build(data)
		if err != nil {
			return nil, err
		}
		if len(v.problems) > 0 {
			return nil, refusal("config.toml was not saved, nothing was written", v.problems)
		}
		if v.needsLiveConfirm && !confirmLive {
			return nil, errors.New("trading.mode: switching to LIVE trades real money; nothing was written. Fix: confirm the switch to LIVE in the dialog")
		}
		return v, nil
	}
	// Judged before the lock, so refused input leaves no trace; again under
	// it, in case another writer changed the file meanwhile.
	if _, err := attempt(); err != nil {
		return nil, err
	}
	release, err := store.Lock(c.files.Config, store.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer release()
	v, err := attempt()
	if err != nil {
		return nil, err
	}
	res, err := store.Write(c.files.Config, v.base, v.next, c.files.Keep)
	if err != nil {
		return nil, err
	}
	return &SaveResult{Path: c.files.Config, SHA256: res.SHA256, PreviousSHA256: res.PreviousSHA256, Backup: res.Backup, Written: res.Changed}, nil
}

func refusal(what string, problems []Problem) error {
	parts := make([]string, len(problems))
	for i, p := range problems {
		s := p.Message
		if p.Key != "" {
			s = p.Key + ": " + s
		}
		if p.Fix != "" {
			s += " (fix: " + p.Fix + ")"
		}
		parts[i] = s
	}
	return fmt.Errorf("%s: %s", what, strings.Join(parts, "; "))
}

// Backups lists the config's history, newest first.
func (c *Config) Backups() ([]Backup, error) {
	entries, err := store.List(c.files.Config)
	if err != nil {
		return nil, err
	}
	out := make([]Backup, 0, len(entries))
	for _, e := range entries {
		data, err := os.ReadFile(e.Path)
		if err != nil {
			continue
		}
		out = append(out, Backup{ID: e.ID, Path: e.Path, SHA256: store.Hash(data), Time: e.Time.UTC().Format("2006-01-02T15:04:05.000000Z07:00")})
	}
	return out, nil
}

// Restore puts a history entry back in place; the current file is backed
// up first, so a restore is undone by restoring again.
func (c *Config) Restore(id string, confirmLive bool) (*SaveResult, error) {
	entries, err := store.List(c.files.Config)
	if err != nil {
		return nil, err
	}
	var path string
	for _, e := range entries {
		if e.ID == id || e.Name == id {
			path = e.Path
		}
	}
	if path == "" {
		return nil, fmt.Errorf("%q is not a backup of %s (it has %d); pick one from the list", id, c.files.Config, len(entries))
	}
	entry, err := configcontract.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the backup: %w", err)
	}
	return c.write("", confirmLive, func(current []byte) (*verdict, error) {
		v, err := c.judge(entry, nil)
		if err != nil {
			return nil, err
		}
		v.base = current
		if doc, err := configcontract.Parse(entry); err == nil {
			v.needsLiveConfirm = switchesToLive(current, doc)
		}
		return v, nil
	})
}

func nonNil(p []Problem) []Problem {
	if p == nil {
		return []Problem{}
	}
	return p
}
