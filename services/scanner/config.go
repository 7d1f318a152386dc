package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"traderadmin.local/configcontract"
)

// Config is the whole config.toml in typed form. Every section is decoded,
// even those the scanner does not act on, so that a key the schema and these
// structs disagree about is caught by the strict decode instead of being
// silently dropped.
type Config struct {
	IBKR       IBKR       `toml:"ibkr" json:"ibkr"`
	Trading    Trading    `toml:"trading" json:"trading"`
	Strategies Strategies `toml:"strategies" json:"strategies"`
	Scanner    Scanner    `toml:"scanner" json:"scanner"`
	Options    Options    `toml:"options" json:"options"`
	Cache      Cache      `toml:"cache" json:"cache"`
	Schedule   Schedule   `toml:"schedule" json:"schedule"`
	Alerts     Alerts     `toml:"alerts" json:"alerts"`
	Reload     Reload     `toml:"reload" json:"reload"`
	Logging    Logging    `toml:"logging" json:"logging"`
}

type IBKR struct {
	Host            string    `toml:"host" json:"host"`
	Port            int       `toml:"port" json:"port"`
	ClientID        int64     `toml:"client_id" json:"client_id"`
	ReadOnly        bool      `toml:"read_only" json:"read_only"`
	ConnectTimeoutS float64   `toml:"connect_timeout_s" json:"connect_timeout_s"`
	RequestTimeoutS float64   `toml:"request_timeout_s" json:"request_timeout_s"`
	Reconnect       Reconnect `toml:"reconnect" json:"reconnect"`
}

type Reconnect struct {
	Enabled       bool    `toml:"enabled" json:"enabled"`
	InitialDelayS float64 `toml:"initial_delay_s" json:"initial_delay_s"`
	MaxDelayS     float64 `toml:"max_delay_s" json:"max_delay_s"`
	MaxAttempts   int     `toml:"max_attempts" json:"max_attempts"`
}

type Trading struct {
	Mode            string  `toml:"mode" json:"mode"`
	MaxPositions    int     `toml:"max_positions" json:"max_positions"`
	RiskPerTradePct float64 `toml:"risk_per_trade_pct" json:"risk_per_trade_pct"`
	MaxDailyLossPct float64 `toml:"max_daily_loss_pct" json:"max_daily_loss_pct"`
	OrderType       string  `toml:"order_type" json:"order_type"`
	LimitOffsetBps  float64 `toml:"limit_offset_bps" json:"limit_offset_bps"`
	TimeInForce     string  `toml:"time_in_force" json:"time_in_force"`
	AllowShort      bool    `toml:"allow_short" json:"allow_short"`
}

type Strategies struct {
	HighBase HighBase `toml:"high_base" json:"high_base"`
}

type HighBase struct {
	Enabled         bool    `toml:"enabled" json:"enabled"`
	MinRSI          float64 `toml:"min_rsi" json:"min_rsi"`
	MaxATRRatio     float64 `toml:"max_atr_ratio" json:"max_atr_ratio"`
	RSIPeriod       int     `toml:"rsi_period" json:"rsi_period"`
	ATRPeriod       int     `toml:"atr_period" json:"atr_period"`
	MinBaseDays     int     `toml:"min_base_days" json:"min_base_days"`
	MaxBaseDepthPct float64 `toml:"max_base_depth_pct" json:"max_base_depth_pct"`
	MinPriorGainPct float64 `toml:"min_prior_gain_pct" json:"min_prior_gain_pct"`
	LookbackDays    int     `toml:"lookback_days" json:"lookback_days"`
}

type Scanner struct {
	IntervalS    float64  `toml:"interval_s" json:"interval_s"`
	Universe     []string `toml:"universe" json:"universe"`
	MinPrice     float64  `toml:"min_price" json:"min_price"`
	MinAvgVolume int64    `toml:"min_avg_volume" json:"min_avg_volume"`
	MaxResults   int      `toml:"max_results" json:"max_results"`
	Workers      int      `toml:"workers" json:"workers"`
}

type Options struct {
	Enabled         bool    `toml:"enabled" json:"enabled"`
	MinDaysToExpiry int     `toml:"min_days_to_expiry" json:"min_days_to_expiry"`
	MaxDaysToExpiry int     `toml:"max_days_to_expiry" json:"max_days_to_expiry"`
	TargetDelta     float64 `toml:"target_delta" json:"target_delta"`
	MinOpenInterest int64   `toml:"min_open_interest" json:"min_open_interest"`
	MaxSpreadPct    float64 `toml:"max_spread_pct" json:"max_spread_pct"`
}

type Cache struct {
	Dir          string  `toml:"dir" json:"dir"`
	QuoteTTLS    float64 `toml:"quote_ttl_s" json:"quote_ttl_s"`
	BarsTTLS     float64 `toml:"bars_ttl_s" json:"bars_ttl_s"`
	ContractTTLS float64 `toml:"contract_ttl_s" json:"contract_ttl_s"`
	MaxEntries   int64   `toml:"max_entries" json:"max_entries"`
}

type Schedule struct {
	Timezone              string   `toml:"timezone" json:"timezone"`
	MarketOpen            string   `toml:"market_open" json:"market_open"`
	MarketClose           string   `toml:"market_close" json:"market_close"`
	TradingDays           []string `toml:"trading_days" json:"trading_days"`
	PreMarketScan         bool     `toml:"pre_market_scan" json:"pre_market_scan"`
	FlattenBeforeCloseMin int      `toml:"flatten_before_close_min" json:"flatten_before_close_min"`
}

type Alerts struct {
	Enabled         bool     `toml:"enabled" json:"enabled"`
	MinSeverity     string   `toml:"min_severity" json:"min_severity"`
	Channels        []string `toml:"channels" json:"channels"`
	WebhookURLEnv   string   `toml:"webhook_url_env" json:"webhook_url_env"`
	RateLimitPerMin int      `toml:"rate_limit_per_min" json:"rate_limit_per_min"`
}

type Reload struct {
	DebounceMS    int     `toml:"debounce_ms" json:"debounce_ms"`
	PollIntervalS float64 `toml:"poll_interval_s" json:"poll_interval_s"`
}

type Logging struct {
	Level  string `toml:"level" json:"level"`
	Format string `toml:"format" json:"format"`
}

// Parser turns config bytes into a validated Config.
type Parser struct {
	schema *configcontract.Schema
}

// NewParser compiles the embedded schema once; every parse reuses it.
func NewParser() (*Parser, error) {
	s, err := configcontract.CompileSchema(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("embedded schema.json: %w", err)
	}
	return &Parser{schema: s}, nil
}

// Parse judges data by the config contract, then decodes it strictly into
// the typed structs. The error is a *configcontract.ConfigError naming every
// key at fault.
func (p *Parser) Parse(data []byte) (*Config, error) {
	if _, err := p.schema.Judge(data); err != nil {
		return nil, err
	}
	var cfg Config
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		// The schema passed, so a key these structs lack is the scanner's
		// bug, not the file's: still refused rather than silently dropped.
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			issues := make([]configcontract.Issue, len(strict.Errors))
			for i, e := range strict.Errors {
				issues[i] = configcontract.Issue{Key: strings.Join(e.Key(), "."), Message: "unknown key"}
			}
			return nil, &configcontract.ConfigError{Issues: issues}
		}
		return nil, &configcontract.ConfigError{Issues: []configcontract.Issue{{Message: fmt.Sprintf("decoding into typed settings: %v", err)}}}
	}
	return &cfg, nil
}
