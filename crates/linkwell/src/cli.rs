//! Arguments and help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "Linkwell watches API traffic for attacks, gaps and undocumented endpoints.";

const LONG_ABOUT: &str = "\
Linkwell watches API traffic for attacks, gaps and undocumented endpoints.

It reads the access logs your gateways already write (NGINX, Envoy, AWS API
Gateway, Cloudflare, Kong, Traefik, HAR, or any NDJSON), builds an inventory of
every endpoint, runs its detectors on every call and explains each finding with
evidence and its OWASP API Security Top 10 (2023) category.

Start here:
  linkwell demo                              simulate a bank's API traffic and scan it
  linkwell scan access.log.gz                scan your own logs
  linkwell scan --openapi api.yaml logs/*    find shadow, zombie and unused endpoints";

#[derive(Debug, Parser)]
#[command(name = "linkwell", version, about = ABOUT, long_about = LONG_ABOUT)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Scan gateway logs: inventory, findings, report.
    #[command(after_long_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// Write realistic, labelled banking-API traffic (deterministic).
    #[command(after_long_help = SIMULATE_EXAMPLES)]
    Simulate(SimulateArgs),
    /// Simulate a day of traffic and scan it: the quick start, no input needed.
    Demo(DemoArgs),
    /// Work with the endpoint inventory.
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Check and read the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Measure throughput and memory of the scan pipeline.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Run the inline proxy: validate, judge, record and enforce every call.
    #[command(after_long_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Turn every enforcement of a running proxy off (on) or back on (off).
    #[command(after_long_help = KILLSWITCH_EXAMPLES)]
    Killswitch(KillswitchArgs),
    /// Issue, rotate, revoke and list API keys (kept only as salted hashes).
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Issue a key; it is printed once and never stored in clear.
    #[command(after_long_help = "\
Examples:
  linkwell keys add --registry keys.json --owner partner-acme --scope quotes:read --route partners
  linkwell keys add --registry keys.json --owner batch-job --expires-days 30 --json")]
    Add(KeysAddArgs),
    /// A new secret for a key; the old one keeps working for --grace-secs.
    #[command(after_long_help = "\
Examples:
  linkwell keys rotate --registry keys.json 3f9a0c12ab44 --grace-secs 86400")]
    Rotate(KeysRotateArgs),
    /// Revoke a key at once (a running proxy notices within a second).
    #[command(after_long_help = "\
Examples:
  linkwell keys revoke --registry keys.json 3f9a0c12ab44 --reason \"leaked in a public repository\" --audit /var/lib/linkwell/audit")]
    Revoke(KeysRevokeArgs),
    /// List keys: id, owner, status, scopes, routes, expiry (never secrets).
    List(KeysListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct KeysRegistryArg {
    /// The registry file (created by the first `add`).
    #[arg(long, value_name = "FILE", default_value = "linkwell-keys.json")]
    pub(crate) registry: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct KeysAddArgs {
    #[command(flatten)]
    pub(crate) reg: KeysRegistryArg,
    /// Who the key belongs to (a partner, an application, a team).
    #[arg(long)]
    pub(crate) owner: String,
    /// Scopes granted (repeatable).
    #[arg(long = "scope")]
    pub(crate) scopes: Vec<String>,
    /// Routes (by name) the key may call (repeatable; none means every route).
    #[arg(long = "route")]
    pub(crate) routes: Vec<String>,
    /// Rate plan name.
    #[arg(long)]
    pub(crate) rate_plan: Option<String>,
    /// Expire after this many days.
    #[arg(long)]
    pub(crate) expires_days: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct KeysRotateArgs {
    #[command(flatten)]
    pub(crate) reg: KeysRegistryArg,
    pub(crate) id: String,
    /// How long the old secret stays valid.
    #[arg(long, default_value_t = 0)]
    pub(crate) grace_secs: i64,
}

#[derive(Debug, Args)]
pub(crate) struct KeysRevokeArgs {
    #[command(flatten)]
    pub(crate) reg: KeysRegistryArg,
    pub(crate) id: String,
    /// Why (kept in the registry and the audit trail).
    #[arg(long)]
    pub(crate) reason: String,
    /// Record the revocation in this audit trail.
    #[arg(long, value_name = "DIR")]
    pub(crate) audit: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct KeysListArgs {
    #[command(flatten)]
    pub(crate) reg: KeysRegistryArg,
}

const RUN_EXAMPLES: &str = "\
The proxy reads the [proxy] and [oauth] sections of the config (see
examples/linkwell-proxy.toml, documented key by key) and the [engine] and
[inventory] sections that `linkwell scan` uses, so the same detectors with the
same thresholds judge live calls and logs.

Modes: shadow records what enforcement would do and never refuses a call;
enforce refuses. The kill switch (`linkwell killswitch on`) makes the proxy a
plain pass-through at once; recording continues.

Signals: SIGTERM/Ctrl-C stop accepting and let calls in flight finish (up to
[proxy.timeouts] drain_ms); SIGHUP re-reads the config (routes, upstreams,
trust anchors, issuers) without dropping calls.

Examples:
  linkwell run -c linkwell.toml
  linkwell run -c /etc/linkwell/linkwell.toml --quiet";

const KILLSWITCH_EXAMPLES: &str = "\
The switch is flipped through the running proxy's admin endpoint and recorded
in its audit trail with the reason and who flipped it.

Examples:
  linkwell killswitch on --reason \"false positives on /payments, INC-4711\"
  linkwell killswitch off -c linkwell.toml
  linkwell killswitch status --admin http://127.0.0.1:9901 --token \"$LINKWELL_ADMIN_TOKEN\"";

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The configuration file (with a [proxy] section).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub(crate) config: PathBuf,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SwitchState {
    On,
    Off,
    Status,
}

#[derive(Debug, Args)]
pub(crate) struct KillswitchArgs {
    /// on: pass everything through; off: enforce again; status: show.
    pub(crate) state: SwitchState,
    /// Why (recorded in the audit trail).
    #[arg(long, default_value = "")]
    pub(crate) reason: String,
    /// The admin endpoint (default: from -c, else http://127.0.0.1:9901).
    #[arg(long, value_name = "URL")]
    pub(crate) admin: Option<String>,
    /// The admin token (default: from -c, else $LINKWELL_ADMIN_TOKEN).
    #[arg(long, env = "LINKWELL_ADMIN_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Read the admin address and token from this config file.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Print the proxy's state as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the whole hash chain and every checkpoint signature; name the
    /// first record that was altered, removed, reordered or inserted.
    #[command(after_long_help = "\
Exit status: 0 the log verifies, 1 tampering found, 2 the log could not be read.

Examples:
  linkwell audit verify /var/lib/linkwell/audit
  linkwell audit verify --pubkey 3b6a27bc...e1 --json /mnt/archive/audit")]
    Verify(AuditVerifyArgs),
    /// Print one record by decision id, with its inclusion proof and the
    /// signed checkpoint it is proven against.
    #[command(after_long_help = "\
Exit status: 0 found and the proof holds, 1 not found or the proof fails, 2 error.

Examples:
  linkwell audit show 1042-9f3c21ab --dir /var/lib/linkwell/audit
  linkwell audit show 1042-9f3c21ab --json")]
    Show(AuditShowArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AuditVerifyArgs {
    /// The audit log directory.
    #[arg(default_value = "linkwell-audit", value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// Check signatures against this public key (64 hex characters, or a
    /// file holding them) instead of DIR/audit.pub.
    #[arg(long, value_name = "HEX|FILE")]
    pub(crate) pubkey: Option<String>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AuditShowArgs {
    /// The decision id (`SEQ-HASH8`), as returned when the record was written.
    #[arg(value_name = "DECISION_ID")]
    pub(crate) id: String,
    /// The audit log directory.
    #[arg(long, default_value = "linkwell-audit", value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// Print the record and proof as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

const SCAN_EXAMPLES: &str = "\
Formats (--format; default auto-detects from the first lines and says which it chose):
  nginx-combined  NGINX/Apache combined or common log format
  nginx-json      NGINX JSON (escape=json) with NGINX variable names
  envoy           Envoy default access-log text format
  envoy-json      Envoy / Istio JSON access logs
  aws-apigw       AWS API Gateway JSON access logs
  cloudflare      Cloudflare Logpush http_requests NDJSON
  kong            Kong file-log / http-log JSON
  traefik         Traefik JSON access log
  har             HAR 1.2 (browser or proxy capture)
  ndjson          any NDJSON, fields mapped in [ingest.ndjson] of the config

Inputs may be plain or gzip-compressed files, or - for standard input.

Exit status: 0 done, 1 findings at or above --fail-on, 2 error.

Examples:
  linkwell scan /var/log/nginx/access.log /var/log/nginx/access.log.*.gz
  zcat api-*.log.gz | linkwell scan --format envoy-json -
  linkwell scan logs/*.json --openapi openapi.yaml --report report.html --json scan.json
  linkwell scan logs/ --store ./linkwell-store --fail-on high";

const SIMULATE_EXAMPLES: &str = "\
Examples:
  linkwell simulate --calls 200000 --out sample.json.gz --labels labels.json
  linkwell simulate --format nginx-combined --no-attacks | head
  linkwell simulate --distinct-ips 1000000 --calls 3000000 --out wide.json.gz";

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Log files (plain or .gz), directories (every file inside), or - for stdin.
    #[arg(value_name = "FILES|-", required = true)]
    pub(crate) inputs: Vec<String>,
    /// Input format; `auto` detects it per input.
    #[arg(short, long, default_value = "auto", value_name = "NAME")]
    pub(crate) format: String,
    /// OpenAPI 3.0/3.1 specification (YAML or JSON); repeat for several.
    #[arg(long = "openapi", value_name = "SPEC")]
    pub(crate) openapi: Vec<PathBuf>,
    /// Write the full result as JSON (schema: docs/scan-json.md); - for stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// Write a self-contained HTML report with charts.
    #[arg(long, value_name = "FILE.html")]
    pub(crate) report: Option<PathBuf>,
    /// Write the embedded store (inventory, findings, every call) to DIR.
    #[arg(long, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
    /// Configuration file (see examples/linkwell.toml).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Exit with status 1 when a finding has at least this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub(crate) fail_on: Option<SeverityArg>,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// How many findings the terminal summary lists.
    #[arg(long, default_value_t = 15, value_name = "N")]
    pub(crate) top: usize,
    /// Record every call with its verdict in the tamper-evident audit trail
    /// in DIR (created with a signing key on first use; check it with
    /// `linkwell audit verify DIR`).
    #[arg(long, value_name = "DIR")]
    pub(crate) audit: Option<PathBuf>,
    /// Score the findings against a simulator's ground truth (`linkwell
    /// simulate --labels FILE`): recall of attacking clients per attack
    /// class and the share of benign clients flagged.
    #[arg(long, value_name = "FILE")]
    pub(crate) labels: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Seed: the same seed and options give byte-identical output.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Number of bank customers.
    #[arg(long, default_value_t = 400)]
    pub(crate) users: usize,
    /// Approximate number of benign calls.
    #[arg(long, default_value_t = 200_000)]
    pub(crate) calls: u64,
    /// Days of traffic (with a diurnal rhythm).
    #[arg(long, default_value_t = 1)]
    pub(crate) days: u32,
    /// Output format: nginx-json, nginx-combined, envoy-json or kong.
    #[arg(short, long, default_value = "nginx-json")]
    pub(crate) format: String,
    /// Leave out the labelled attacks.
    #[arg(long)]
    pub(crate) no_attacks: bool,
    /// Spread benign traffic over this many distinct client IPs (memory benchmarks).
    #[arg(long, value_name = "N")]
    pub(crate) distinct_ips: Option<u64>,
    /// Output file (.gz compresses); default standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Write the attack labels (ground truth) as JSON.
    #[arg(long, value_name = "FILE")]
    pub(crate) labels: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Directory for the sample log, report, JSON and store.
    #[arg(long, default_value = "linkwell-demo", value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Approximate number of benign calls to simulate.
    #[arg(long, default_value_t = 200_000)]
    pub(crate) calls: u64,
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
}

#[derive(Debug, Subcommand)]
pub(crate) enum InventoryCommand {
    /// Write the observed endpoints as an OpenAPI 3.1 document.
    #[command(after_long_help = "\
Examples:
  linkwell inventory export --store ./linkwell-store -o observed.yaml
  linkwell inventory export access.log.gz --openapi api.yaml -o observed.json")]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Log files to scan (instead of --store).
    #[arg(value_name = "FILES|-")]
    pub(crate) inputs: Vec<String>,
    /// Read the endpoints of the latest scan in this store.
    #[arg(long, value_name = "DIR", conflicts_with = "inputs")]
    pub(crate) store: Option<PathBuf>,
    #[arg(short, long, default_value = "auto", value_name = "NAME")]
    pub(crate) format: String,
    /// Specifications, to mark each exported endpoint's classification.
    #[arg(long = "openapi", value_name = "SPEC")]
    pub(crate) openapi: Vec<PathBuf>,
    /// Output file (.json or .yaml/.yml); default YAML on stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// The document's info.title.
    #[arg(long, default_value = "Observed API (Linkwell)")]
    pub(crate) title: String,
    #[arg(short, long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Scan FILE end to end (parse, template, engine) and print lines/s and peak memory.
    #[command(after_long_help = "\
Examples:
  linkwell simulate --calls 3000000 --out big.json.gz && linkwell bench scan big.json.gz
  linkwell simulate --distinct-ips 1000000 --calls 3000000 | linkwell bench scan -")]
    Scan(BenchScanArgs),
    /// Time the engine alone on every call of FILE and print its latency
    /// percentiles and worst call (what an inline deployment waits for).
    #[command(after_long_help = "\
Examples:
  linkwell simulate --calls 200000 --out day.json && linkwell bench engine day.json
  linkwell bench engine --json day.json")]
    Engine(BenchScanArgs),
    /// Append records to a scratch audit log under each fsync policy and
    /// print records/s (group commit; one pipelined writer and many callers
    /// that each wait for their own acknowledgement).
    #[command(after_long_help = "\
Examples:
  linkwell bench audit
  linkwell bench audit --records 200000 --dir /var/lib/linkwell --json")]
    Audit(BenchAuditArgs),
    /// The inline proxy against NGINX on this machine: requests/s and
    /// p50/p99 latency for a small GET through the upstream directly, NGINX
    /// (HTTP, and TLS with client certificates) and Linkwell in enforce mode
    /// with mTLS, a JWT and every detector on. Needs NGINX installed.
    #[command(after_long_help = "\
Everything is generated into a scratch directory (CA, server and client
certificates, an ES256 key, JWKS and token, NGINX and Linkwell configs); pass
--dir to keep it.

Examples:
  linkwell bench proxy
  linkwell bench proxy --connections 64 --seconds 10 --rate 2000 --json")]
    Proxy(BenchProxyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct BenchProxyArgs {
    /// Keep-alive connections of the closed-loop (throughput) run.
    #[arg(long, default_value_t = 32)]
    pub(crate) connections: usize,
    /// Requests/s of the open-loop (latency) run.
    #[arg(long, default_value_t = 1000)]
    pub(crate) rate: u64,
    /// Seconds measured per target and run (after the warm-up).
    #[arg(long, default_value_t = 5)]
    pub(crate) seconds: u64,
    /// Seconds of warm-up per target and run, not counted.
    #[arg(long, default_value_t = 1)]
    pub(crate) warmup: u64,
    /// Threads of the load generator (it shares the machine with the proxies).
    #[arg(long, default_value_t = 1)]
    pub(crate) client_threads: usize,
    /// The NGINX executable.
    #[arg(long, default_value = "nginx")]
    pub(crate) nginx: String,
    /// Where to write certificates, keys and configs (default: a scratch dir).
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BenchAuditArgs {
    /// Records per policy in the pipelined run.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) records: u64,
    /// Callers that each wait for their record to be durable before the next.
    #[arg(long, default_value_t = 16)]
    pub(crate) callers: u64,
    /// Where to create the scratch logs (the file system being measured).
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BenchScanArgs {
    #[arg(value_name = "FILE|-")]
    pub(crate) input: String,
    #[arg(short, long, default_value = "auto", value_name = "NAME")]
    pub(crate) format: String,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}
