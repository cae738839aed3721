//! Saving and reconstructing a [`ScanOutput`].
//!
//! Lists keep their order through an `ord` column, so a saved scan comes back
//! equal (`PartialEq`) to the one that was saved.

use linkwell_core::call::AuthSchemes;
use linkwell_core::endpoint::{Classification, EndpointKey, EndpointSummary, Quantiles, StatusMix};
use linkwell_core::finding::{ClientRef, Evidence, Finding, FindingKind, Owasp, Severity};
use linkwell_core::scan::{
    ClientSummary, InputSummary, RejectedLine, ScanOutput, ScanSummary, TimeBucket,
};
use linkwell_core::sensitive::SensitiveKind;
use linkwell_core::time::Timestamp;
use rusqlite::types::FromSql;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ScanInfo, StoreError, schema};

pub(crate) fn insert_running(conn: &Connection) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO scans (status, created_at) VALUES ('running', ?1)",
        [schema::now().0],
    )?;
    Ok(conn.last_insert_rowid())
}

/// `Ok(true)` when the scan exists and is complete, `Ok(false)` when running.
fn status(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    let s: Option<String> = conn
        .query_row("SELECT status FROM scans WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    match s.as_deref() {
        None => Err(StoreError::NoSuchScan(id)),
        Some(s) => Ok(s == "complete"),
    }
}

pub(crate) fn require(conn: &Connection, id: i64) -> Result<(), StoreError> {
    status(conn, id).map(|_| ())
}

pub(crate) fn latest_complete(conn: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id FROM scans WHERE status = 'complete' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<ScanInfo>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, created_at, completed_at, calls, endpoints, findings
         FROM scans ORDER BY id DESC",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(ScanInfo {
            id: r.get(0)?,
            created_at: Timestamp(r.get(1)?),
            completed_at: r.get::<_, Option<i64>>(2)?.map(Timestamp),
            calls: r.get(3)?,
            endpoints: r.get(4)?,
            findings: r.get(5)?,
        });
    }
    Ok(out)
}

fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_string(v)?)
}

fn from_json<T: DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt {
        table,
        column,
        detail: e.to_string(),
    })
}

/// Reads one of core's enums from its stable name (`"zombie"`, `"API1:2023"`).
fn from_name<T: DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    s: String,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s)).map_err(|e| StoreError::Corrupt {
        table,
        column,
        detail: e.to_string(),
    })
}

fn ts(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.0)
}

fn quantile_cols(q: Option<&Quantiles>) -> [Option<f64>; 4] {
    match q {
        Some(q) => [Some(q.p50), Some(q.p90), Some(q.p99), Some(q.max)],
        None => [None; 4],
    }
}

/// All four columns NULL means "no distribution"; a lone NULL inside a
/// present one can only be a NaN (SQLite stores NaN as NULL).
fn quantiles(c: [Option<f64>; 4]) -> Option<Quantiles> {
    if c.iter().all(Option::is_none) {
        return None;
    }
    let v = |x: Option<f64>| x.unwrap_or(f64::NAN);
    Some(Quantiles {
        p50: v(c[0]),
        p90: v(c[1]),
        p99: v(c[2]),
        max: v(c[3]),
    })
}

/// Reads a row's columns left to right, so SELECT lists and readers stay in step.
struct Cols<'r, 's> {
    row: &'r Row<'s>,
    i: usize,
}

impl<'r, 's> Cols<'r, 's> {
    fn new(row: &'r Row<'s>) -> Self {
        Cols { row, i: 0 }
    }

    fn next<T: FromSql>(&mut self) -> Result<T, StoreError> {
        let v = self.row.get(self.i)?;
        self.i += 1;
        Ok(v)
    }

    fn ts(&mut self) -> Result<Timestamp, StoreError> {
        Ok(Timestamp(self.next()?))
    }

    fn opt_ts(&mut self) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.next::<Option<i64>>()?.map(Timestamp))
    }

    fn json<T: DeserializeOwned>(
        &mut self,
        table: &'static str,
        column: &'static str,
    ) -> Result<T, StoreError> {
        let s: String = self.next()?;
        from_json(table, column, &s)
    }

    fn name<T: DeserializeOwned>(
        &mut self,
        table: &'static str,
        column: &'static str,
    ) -> Result<T, StoreError> {
        let s: String = self.next()?;
        from_name(table, column, s)
    }

    fn quantiles(&mut self) -> Result<Option<Quantiles>, StoreError> {
        Ok(quantiles([
            self.next()?,
            self.next()?,
            self.next()?,
            self.next()?,
        ]))
    }
}

/// Fills a `running` scan with its results and marks it complete. The caller
/// owns the transaction.
pub(crate) fn complete(conn: &Connection, id: i64, scan: &ScanOutput) -> Result<(), StoreError> {
    if status(conn, id)? {
        return Err(StoreError::ScanAlreadyComplete(id));
    }
    let s = &scan.summary;
    conn.execute(
        "UPDATE scans SET status = 'complete', completed_at = ?2, scan_schema = ?3,
             lines = ?4, parsed = ?5, rejected = ?6, calls = ?7, endpoints = ?8,
             findings = ?9, elapsed_ms = ?10, first_seen = ?11, last_seen = ?12,
             classification = ?13, severity = ?14
         WHERE id = ?1",
        params![
            id,
            schema::now().0,
            scan.schema_version,
            s.lines,
            s.parsed,
            s.rejected,
            s.calls,
            s.endpoints,
            s.findings,
            s.elapsed_ms,
            ts(s.first_seen),
            ts(s.last_seen),
            to_json(&s.classification)?,
            to_json(&s.severity)?,
        ],
    )?;

    let mut stmt = conn.prepare_cached(
        "INSERT INTO scan_inputs (scan_id, ord, path, format, detected, lines, parsed, rejected)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (ord, i) in scan.inputs.iter().enumerate() {
        stmt.execute(params![
            id, ord, i.path, i.format, i.detected, i.lines, i.parsed, i.rejected
        ])?;
    }

    let mut stmt = conn.prepare_cached(
        "INSERT INTO rejected_lines (scan_id, ord, input, line, reason)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (ord, r) in scan.rejected.iter().enumerate() {
        stmt.execute(params![id, ord, r.input, r.line, r.reason])?;
    }

    let mut stmt = conn.prepare_cached(
        "INSERT INTO timeline (scan_id, ord, start, calls, client_errors, server_errors, findings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (ord, b) in scan.timeline.iter().enumerate() {
        stmt.execute(params![
            id,
            ord,
            b.start.0,
            b.calls,
            b.client_errors,
            b.server_errors,
            b.findings
        ])?;
    }

    let mut stmt = conn.prepare_cached(
        "INSERT INTO top_clients (scan_id, ord, ip, calls, client_errors, findings, worst)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (ord, c) in scan.top_clients.iter().enumerate() {
        stmt.execute(params![
            id,
            ord,
            c.ip,
            c.calls,
            c.client_errors,
            c.findings,
            c.worst.map(Severity::name)
        ])?;
    }

    insert_endpoints(conn, id, &scan.endpoints)?;
    insert_findings(conn, id, &scan.findings)?;
    Ok(())
}

fn insert_endpoints(conn: &Connection, id: i64, eps: &[EndpointSummary]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO endpoints (scan_id, ord, method, host, template, calls,
             s1xx, s2xx, s3xx, s4xx, s5xx, s_other, status_codes,
             lat_p50, lat_p90, lat_p99, lat_max, req_p50, req_p90, req_p99, req_max,
             resp_p50, resp_p90, resp_p99, resp_max,
             auth, query_params, body_params, sensitive, clients, top_clients,
             first_seen, last_seen, classification, spec_path, findings, risk_score)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
             ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33,
             ?34, ?35, ?36, ?37)",
    )?;
    for (ord, e) in eps.iter().enumerate() {
        let [l50, l90, l99, lmax] = quantile_cols(e.latency_ms.as_ref());
        let [q50, q90, q99, qmax] = quantile_cols(e.request_bytes.as_ref());
        let [r50, r90, r99, rmax] = quantile_cols(e.response_bytes.as_ref());
        let st = &e.status;
        stmt.execute(params![
            id,
            ord,
            e.method,
            e.host,
            e.template,
            e.calls,
            st.s1xx,
            st.s2xx,
            st.s3xx,
            st.s4xx,
            st.s5xx,
            st.other,
            to_json(&st.codes)?,
            l50,
            l90,
            l99,
            lmax,
            q50,
            q90,
            q99,
            qmax,
            r50,
            r90,
            r99,
            rmax,
            to_json(&e.auth)?,
            to_json(&e.query_params)?,
            to_json(&e.body_params)?,
            to_json(&e.sensitive)?,
            e.clients,
            to_json(&e.top_clients)?,
            ts(e.first_seen),
            ts(e.last_seen),
            e.classification.name(),
            e.spec_path,
            e.findings,
            e.risk_score,
        ])?;
    }
    Ok(())
}

fn severity_rank(s: Severity) -> i64 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

fn insert_findings(conn: &Connection, id: i64, findings: &[Finding]) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO findings (scan_id, ord, kind, owasp, severity, severity_rank, confidence,
             client_ip, client_identity, client_user_agent,
             endpoint_method, endpoint_host, endpoint_template,
             first_seen, last_seen, evidence, explanation, cwe)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?;
    for (ord, f) in findings.iter().enumerate() {
        let ep = f.endpoint.as_ref();
        stmt.execute(params![
            id,
            ord,
            f.kind.name(),
            f.owasp.id(),
            f.severity.name(),
            severity_rank(f.severity),
            f64::from(f.confidence),
            f.client.ip,
            f.client.identity,
            f.client.user_agent,
            ep.map(|k| k.method.as_str()),
            ep.map(|k| k.host.as_str()),
            ep.map(|k| k.template.as_str()),
            f.first_seen.0,
            f.last_seen.0,
            to_json(&f.evidence)?,
            f.explanation,
            f.cwe,
        ])?;
    }
    Ok(())
}

/// Reconstructs a whole scan.
pub(crate) fn load(conn: &Connection, id: i64) -> Result<ScanOutput, StoreError> {
    let head = conn
        .query_row(
            "SELECT scan_schema, lines, parsed, rejected, calls, endpoints, findings, elapsed_ms,
                    first_seen, last_seen, classification, severity
             FROM scans WHERE id = ?1",
            [id],
            |r| {
                let mut c = Cols::new(r);
                Ok(read_summary(&mut c))
            },
        )
        .optional()?;
    let (schema_version, summary) = head.ok_or(StoreError::NoSuchScan(id))??;
    Ok(ScanOutput {
        schema_version,
        summary,
        inputs: load_inputs(conn, id)?,
        endpoints: load_endpoints(conn, id)?,
        findings: load_findings(conn, id)?,
        rejected: load_rejected(conn, id)?,
        timeline: load_timeline(conn, id)?,
        top_clients: load_top_clients(conn, id)?,
    })
}

fn read_summary(c: &mut Cols<'_, '_>) -> Result<(u32, ScanSummary), StoreError> {
    Ok((
        c.next()?,
        ScanSummary {
            lines: c.next()?,
            parsed: c.next()?,
            rejected: c.next()?,
            calls: c.next()?,
            endpoints: c.next()?,
            findings: c.next()?,
            elapsed_ms: c.next()?,
            first_seen: c.opt_ts()?,
            last_seen: c.opt_ts()?,
            classification: c.json("scans", "classification")?,
            severity: c.json("scans", "severity")?,
        },
    ))
}

/// Runs `sql` (with the scan id as `?1`) and maps every row with `read`.
fn collect<T>(
    conn: &Connection,
    sql: &str,
    id: i64,
    read: impl Fn(&mut Cols<'_, '_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query([id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(read(&mut Cols::new(r))?);
    }
    Ok(out)
}

fn load_inputs(conn: &Connection, id: i64) -> Result<Vec<InputSummary>, StoreError> {
    collect(
        conn,
        "SELECT path, format, detected, lines, parsed, rejected
         FROM scan_inputs WHERE scan_id = ?1 ORDER BY ord",
        id,
        |c| {
            Ok(InputSummary {
                path: c.next()?,
                format: c.next()?,
                detected: c.next()?,
                lines: c.next()?,
                parsed: c.next()?,
                rejected: c.next()?,
            })
        },
    )
}

fn load_rejected(conn: &Connection, id: i64) -> Result<Vec<RejectedLine>, StoreError> {
    collect(
        conn,
        "SELECT input, line, reason FROM rejected_lines WHERE scan_id = ?1 ORDER BY ord",
        id,
        |c| {
            Ok(RejectedLine {
                input: c.next()?,
                line: c.next()?,
                reason: c.next()?,
            })
        },
    )
}

fn load_timeline(conn: &Connection, id: i64) -> Result<Vec<TimeBucket>, StoreError> {
    collect(
        conn,
        "SELECT start, calls, client_errors, server_errors, findings
         FROM timeline WHERE scan_id = ?1 ORDER BY ord",
        id,
        |c| {
            Ok(TimeBucket {
                start: c.ts()?,
                calls: c.next()?,
                client_errors: c.next()?,
                server_errors: c.next()?,
                findings: c.next()?,
            })
        },
    )
}

fn load_top_clients(conn: &Connection, id: i64) -> Result<Vec<ClientSummary>, StoreError> {
    collect(
        conn,
        "SELECT ip, calls, client_errors, findings, worst
         FROM top_clients WHERE scan_id = ?1 ORDER BY ord",
        id,
        |c| {
            Ok(ClientSummary {
                ip: c.next()?,
                calls: c.next()?,
                client_errors: c.next()?,
                findings: c.next()?,
                worst: match c.next::<Option<String>>()? {
                    Some(s) => Some(from_name::<Severity>("top_clients", "worst", s)?),
                    None => None,
                },
            })
        },
    )
}

pub(crate) fn load_endpoints(
    conn: &Connection,
    id: i64,
) -> Result<Vec<EndpointSummary>, StoreError> {
    collect(
        conn,
        "SELECT method, host, template, calls,
             s1xx, s2xx, s3xx, s4xx, s5xx, s_other, status_codes,
             lat_p50, lat_p90, lat_p99, lat_max, req_p50, req_p90, req_p99, req_max,
             resp_p50, resp_p90, resp_p99, resp_max,
             auth, query_params, body_params, sensitive, clients, top_clients,
             first_seen, last_seen, classification, spec_path, findings, risk_score
         FROM endpoints WHERE scan_id = ?1 ORDER BY ord",
        id,
        |c| {
            const T: &str = "endpoints";
            Ok(EndpointSummary {
                method: c.next()?,
                host: c.next()?,
                template: c.next()?,
                calls: c.next()?,
                status: StatusMix {
                    s1xx: c.next()?,
                    s2xx: c.next()?,
                    s3xx: c.next()?,
                    s4xx: c.next()?,
                    s5xx: c.next()?,
                    other: c.next()?,
                    codes: c.json(T, "status_codes")?,
                },
                latency_ms: c.quantiles()?,
                request_bytes: c.quantiles()?,
                response_bytes: c.quantiles()?,
                auth: c.json::<AuthSchemes>(T, "auth")?,
                query_params: c.json(T, "query_params")?,
                body_params: c.json(T, "body_params")?,
                sensitive: c.json::<Vec<SensitiveKind>>(T, "sensitive")?,
                clients: c.next()?,
                top_clients: c.json(T, "top_clients")?,
                first_seen: c.opt_ts()?,
                last_seen: c.opt_ts()?,
                classification: c.name::<Classification>(T, "classification")?,
                spec_path: c.next()?,
                findings: c.next()?,
                risk_score: c.next()?,
            })
        },
    )
}

pub(crate) fn load_findings(conn: &Connection, id: i64) -> Result<Vec<Finding>, StoreError> {
    collect(
        conn,
        "SELECT kind, owasp, severity, confidence, client_ip, client_identity, client_user_agent,
             endpoint_method, endpoint_host, endpoint_template,
             first_seen, last_seen, evidence, explanation, cwe
         FROM findings WHERE scan_id = ?1 ORDER BY ord",
        id,
        |c| {
            const T: &str = "findings";
            let kind = c.name::<FindingKind>(T, "kind")?;
            let owasp = c.name::<Owasp>(T, "owasp")?;
            let severity = c.name::<Severity>(T, "severity")?;
            // An f32 widened to f64 narrows back exactly.
            let confidence = c.next::<f64>()? as f32;
            let client = ClientRef {
                ip: c.next()?,
                identity: c.next()?,
                user_agent: c.next()?,
            };
            let method: Option<String> = c.next()?;
            let host: Option<String> = c.next()?;
            let template: Option<String> = c.next()?;
            let endpoint = match (method, host, template) {
                (Some(m), Some(h), Some(t)) => Some(EndpointKey::new(m, h, t)),
                (None, None, None) => None,
                _ => {
                    return Err(StoreError::Corrupt {
                        table: T,
                        column: "endpoint_method",
                        detail: "endpoint partly NULL".into(),
                    });
                }
            };
            Ok(Finding {
                kind,
                owasp,
                severity,
                confidence,
                client,
                endpoint,
                first_seen: c.ts()?,
                last_seen: c.ts()?,
                evidence: c.json::<Evidence>(T, "evidence")?,
                explanation: c.next()?,
                cwe: c.next()?,
            })
        },
    )
}
