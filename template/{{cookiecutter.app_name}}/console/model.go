// Package console is the desktop app's back end, everything but the window:
// the form model of config/schema.json and the read-only view of a config
// (cmd/configview), judging edits with the config contract (the Go judge
// the scanner runs), comment-preserving saves under the toolkit's lock and
// backups, and, through package cluster, pushing the config to the running
// stack and controlling its services. The Wails app binds thin methods that
// call a Console; `go test` covers all of it without cgo or a display.
//
// The types here are what the front end receives (Wails generates
// TypeScript classes from them in namespace `console`); see
// APP-API.md in the TraderAdmin repository's shared notes.
package console

import "traderadmin.local/console/cluster"

// Form is the schema as form fields, grouped in tabs, with the file's values.
type Form struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Tabs   []Tab  `json:"tabs"`
	// Problems of the file as it is (the contract's judgement, fixes added).
	Problems []Problem `json:"problems"`
	// LoadError says why the file's values could not be read (missing, not
	// TOML); the tabs then show the schema without values.
	LoadError string `json:"loadError"`
}

// Tab is one top-level section of config.toml.
type Tab struct {
	Name        string  `json:"name"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Fields      []Field `json:"fields"`
}

// Field is one setting, by its full dotted key ("ibkr.reconnect.max_delay_s").
type Field struct {
	Key              string   `json:"key"`
	Label            string   `json:"label"`
	Description      string   `json:"description"`
	Kind             string   `json:"kind"`     // bool | int | float | enum | string | array
	ItemKind         string   `json:"itemKind"` // for arrays: string | int | float
	Unit             string   `json:"unit"`
	Enum             []string `json:"enum"` // choices of an enum, or of an array's items
	Minimum          *float64 `json:"minimum"`
	Maximum          *float64 `json:"maximum"`
	ExclusiveMinimum *float64 `json:"exclusiveMinimum"`
	ExclusiveMaximum *float64 `json:"exclusiveMaximum"`
	Pattern          string   `json:"pattern"` // of the string, or of an array's items
	MinItems         *int     `json:"minItems"`
	MaxItems         *int     `json:"maxItems"`
	UniqueItems      bool     `json:"uniqueItems"`
	Allowed          string   `json:"allowed"` // what it accepts, in words
	Default          any      `json:"default"`
	Value            any      `json:"value"` // in the file now; null when missing
	Secret           bool     `json:"secret"`
	Live             bool     `json:"live"` // switching it to LIVE trades real money
}

// Problem is one reason a config (or an edit) breaks the contract.
type Problem struct {
	Key     string `json:"key"` // dotted key; "" for the file as a whole (syntax)
	Value   string `json:"value"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// Judgement is the verdict on the file with edits applied.
type Judgement struct {
	OK               bool      `json:"ok"`
	Problems         []Problem `json:"problems"`
	SHA256           string    `json:"sha256"` // of the would-be file
	NeedsLiveConfirm bool      `json:"needsLiveConfirm"`
}

// Preview is the change a save would make.
type Preview struct {
	Diff             string    `json:"diff"` // unified diff of config.toml
	SHA256           string    `json:"sha256"`
	Problems         []Problem `json:"problems"`
	NeedsLiveConfirm bool      `json:"needsLiveConfirm"`
	BaseSHA256       string    `json:"baseSha256"`
}

// SaveResult is what a save (or a restore) did.
type SaveResult struct {
	Path           string `json:"path"`
	SHA256         string `json:"sha256"`
	PreviousSHA256 string `json:"previousSha256"`
	Backup         string `json:"backup"` // the history entry of the replaced bytes
	Written        bool   `json:"written"`
}

// Backup is one entry of the config's history (config/backups/).
type Backup struct {
	ID     string `json:"id"` // the UTC stamp, as `invoke config.backups` shows it; Restore takes it
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Time   string `json:"time"` // RFC 3339, UTC
}

// UIState is what the front end reports after each render-relevant change,
// for the end-to-end test (TRADERADMIN_UI_STATE_FILE).
type UIState struct {
	Tab      string              `json:"tab"`
	Errors   map[string]string   `json:"errors"`
	LastPush *cluster.PushResult `json:"lastPush"`
	Services []cluster.Service   `json:"services"`
	Banner   string              `json:"banner"`
	Dialog   string              `json:"dialog"`
	Rects    map[string]Rect     `json:"rects"`
	Extra    map[string]any      `json:"extra"`
}

// Rect is an element's on-screen rectangle in CSS pixels, window-relative.
type Rect struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}
