//! Reads the enrichment sources named in `[engine.enrich]` (MaxMind-format
//! databases, threat-intelligence lists) and builds the engine's
//! [`Enricher`]. The engine takes bytes; this is where the files are read.
//!
//! A source the user named but that cannot be read or parsed stops the scan
//! with the path in the error: silently scanning without geolocation or
//! without the deny list would report a clean bill of health that is not.
//! Bad lines inside a list are reported as warnings and skipped.

use linkwell_engine::Enricher;
use linkwell_engine::enrich::{EnrichConfig, EnrichError};

use crate::pipeline::{Progress, ScanError};

fn read(path: &str) -> Result<Vec<u8>, ScanError> {
    std::fs::read(path).map_err(|source| ScanError::Open {
        path: path.to_string(),
        source,
    })
}

fn invalid(path: &str, source: EnrichError) -> ScanError {
    ScanError::Enrich {
        path: path.to_string(),
        source,
    }
}

/// The enricher for `cfg`, or None when it names no source (the engine then
/// uses gateway fields only). Call it again to reload after the files
/// changed, and hand the result to `Engine::set_enricher`.
pub fn load_enricher(
    cfg: &EnrichConfig,
    progress: &dyn Progress,
) -> Result<Option<Enricher>, ScanError> {
    if cfg.city_db.is_none() && cfg.asn_db.is_none() && cfg.intel.is_empty() {
        return Ok(None);
    }
    let mut b = Enricher::builder();
    b.cache_entries(cfg.cache_entries);
    if let Some(path) = &cfg.city_db {
        b.city_db(read(path)?).map_err(|e| invalid(path, e))?;
    }
    if let Some(path) = &cfg.asn_db {
        b.asn_db(read(path)?).map_err(|e| invalid(path, e))?;
    }
    for list in &cfg.intel {
        let bytes = read(&list.path)?;
        let text = String::from_utf8_lossy(&bytes);
        let report = b
            .intel_list(&list.name, list.kind, list.severity, &text)
            .map_err(|e| invalid(&list.path, e))?;
        if report.bad_count > 0 {
            let lines: Vec<String> = report
                .bad
                .iter()
                .map(|l| format!("line {}: {:?}", l.line, l.text))
                .collect();
            progress.warning(&format!(
                "{}: {} line(s) of list '{}' are not addresses or CIDRs and were skipped ({}{})",
                list.path,
                report.bad_count,
                list.name,
                lines.join(", "),
                if report.bad_count > report.bad.len() as u64 {
                    ", ..."
                } else {
                    ""
                }
            ));
        }
        if report.entries == 0 {
            progress.warning(&format!(
                "{}: list '{}' holds no addresses",
                list.path, list.name
            ));
        }
    }
    Ok(Some(b.build()))
}
