//! The backup file: JSON lines, backend-neutral.
//!
//! ```text
//! {manifest}                      format, versions, per-table columns and row counts,
//!                                 audit chain head, SHA-256 of the data lines
//! {"table":"users"}               then one JSON array per row, for each table
//! ["0190…", "a@example.com", …]
//! {"file_sha256":"…"}             SHA-256 of every byte before this line
//! ```
//!
//! Values are JSON null, integers (exact: i64) or strings; ciphertexts are
//! copied as stored. The trailer also catches a truncated or edited manifest.
use heartlock_store::{ColumnKind, DumpTable, DumpValue, Snapshot, TableRows};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const FORMAT: &str = "heartlock-backup";
pub const FORMAT_VERSION: i64 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub format_version: i64,
    pub heartlock_version: String,
    pub created_at_ms: i64,
    /// `sqlite` or `postgres` (informational: restores go to either).
    pub source_backend: String,
    /// The last migration applied to the source database.
    pub schema_version: i64,
    pub tables: Vec<ManifestTable>,
    pub audit_head: Option<AuditHead>,
    pub data_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestTable {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

#[derive(Serialize, Deserialize)]
struct Trailer {
    file_sha256: String,
}

#[derive(Serialize, Deserialize)]
struct TableHeader {
    table: String,
}

/// Why a file cannot be read as a backup. Messages name places (line,
/// table), never values.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("backup file is corrupted or incomplete: {0}")]
    Corrupt(String),
    #[error("backup file does not match this heartlock: {0}")]
    Incompatible(String),
}

fn corrupt(why: impl Into<String>) -> FormatError {
    FormatError::Corrupt(why.into())
}

/// The chain head recorded in the snapshot's `audit_head` table.
pub fn audit_head(snap: &Snapshot) -> Option<AuditHead> {
    let t = snap.table("audit_head")?;
    let row = t.rows.first()?;
    match (t.value(row, "seq"), t.value(row, "hash")) {
        (Some(DumpValue::Int(seq)), Some(DumpValue::Text(hash))) => Some(AuditHead {
            seq: *seq,
            hash: hash.clone(),
        }),
        _ => None,
    }
}

fn to_json(v: &DumpValue) -> serde_json::Value {
    match v {
        DumpValue::Null => serde_json::Value::Null,
        DumpValue::Int(i) => serde_json::Value::from(*i),
        DumpValue::Text(s) => serde_json::Value::from(s.as_str()),
    }
}

fn line(out: &mut Vec<u8>, v: &impl Serialize) -> Result<(), FormatError> {
    serde_json::to_writer(&mut *out, v).map_err(|e| corrupt(format!("cannot encode: {e}")))?;
    out.push(b'\n');
    Ok(())
}

/// The whole file for `snap`.
pub fn encode(snap: &Snapshot, source_backend: &str, now_ms: i64) -> Result<Vec<u8>, FormatError> {
    let mut data = Vec::new();
    for t in &snap.tables {
        line(
            &mut data,
            &TableHeader {
                table: t.table.name.clone(),
            },
        )?;
        for row in &t.rows {
            let values: Vec<serde_json::Value> = row.iter().map(to_json).collect();
            line(&mut data, &values)?;
        }
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        heartlock_version: env!("CARGO_PKG_VERSION").into(),
        created_at_ms: now_ms,
        source_backend: source_backend.into(),
        schema_version: snap.schema_version,
        tables: snap
            .tables
            .iter()
            .map(|t| ManifestTable {
                name: t.table.name.clone(),
                columns: t.table.columns.iter().map(|c| c.name.clone()).collect(),
                rows: t.rows.len(),
            })
            .collect(),
        audit_head: audit_head(snap),
        data_sha256: hex::encode(Sha256::digest(&data)),
    };
    let mut out = Vec::with_capacity(data.len() + 4096);
    line(&mut out, &manifest)?;
    out.extend_from_slice(&data);
    let trailer = Trailer {
        file_sha256: hex::encode(Sha256::digest(&out)),
    };
    line(&mut out, &trailer)?;
    Ok(out)
}

/// Checks both checksums, then parses the rows against `schema` (the
/// tables of this heartlock's migrations). Nothing is trusted before the
/// checksums match.
pub fn decode(bytes: &[u8], schema: &[DumpTable]) -> Result<(Manifest, Snapshot), FormatError> {
    let body = bytes
        .strip_suffix(b"\n")
        .ok_or_else(|| corrupt("it does not end with a complete line"))?;
    let trailer_at = body
        .iter()
        .rposition(|b| *b == b'\n')
        .map(|i| i + 1)
        .ok_or_else(|| corrupt("no checksum line"))?;
    let trailer: Trailer = serde_json::from_slice(&body[trailer_at..])
        .map_err(|_| corrupt("the last line is not the checksum line"))?;
    let covered = &bytes[..trailer_at];
    if hex::encode(Sha256::digest(covered)) != trailer.file_sha256 {
        return Err(corrupt("its SHA-256 checksum does not match its content"));
    }
    let manifest_end = covered
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| corrupt("no manifest line"))?;
    let manifest: Manifest = serde_json::from_slice(&covered[..manifest_end])
        .map_err(|_| corrupt("the first line is not a backup manifest"))?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(FormatError::Incompatible(format!(
            "format {} version {} (this heartlock reads {FORMAT} version {FORMAT_VERSION})",
            manifest.format, manifest.format_version
        )));
    }
    let data = &covered[manifest_end + 1..];
    if hex::encode(Sha256::digest(data)) != manifest.data_sha256 {
        return Err(corrupt("the data does not match the manifest's SHA-256"));
    }
    let names = |ts: &mut dyn Iterator<Item = (&str, Vec<&str>)>| {
        ts.map(|(n, c)| format!("{n}({})", c.join(",")))
            .collect::<Vec<_>>()
    };
    let expected = names(&mut schema.iter().map(|t| {
        (
            t.name.as_str(),
            t.columns.iter().map(|c| c.name.as_str()).collect(),
        )
    }));
    let found = names(&mut manifest.tables.iter().map(|t| {
        (
            t.name.as_str(),
            t.columns.iter().map(String::as_str).collect(),
        )
    }));
    if expected != found {
        return Err(FormatError::Incompatible(format!(
            "it holds schema version {} with other tables or columns than this heartlock's; \
             restore it with the heartlock release that wrote it ({})",
            manifest.schema_version, manifest.heartlock_version
        )));
    }
    let mut tables: Vec<TableRows> = Vec::with_capacity(schema.len());
    for (no, raw) in data.split(|b| *b == b'\n').enumerate() {
        if raw.is_empty() {
            continue;
        }
        let at = || format!("line {}", no + 2);
        if raw.first() == Some(&b'{') {
            let h: TableHeader = serde_json::from_slice(raw)
                .map_err(|_| corrupt(format!("{}: bad table line", at())))?;
            let table = schema
                .get(tables.len())
                .filter(|t| t.name == h.table)
                .ok_or_else(|| corrupt(format!("{}: table {} out of order", at(), h.table)))?;
            tables.push(TableRows {
                table: table.clone(),
                rows: Vec::new(),
            });
            continue;
        }
        let current = tables
            .last_mut()
            .ok_or_else(|| corrupt(format!("{}: a row before any table", at())))?;
        let values: Vec<serde_json::Value> =
            serde_json::from_slice(raw).map_err(|_| corrupt(format!("{}: bad row", at())))?;
        if values.len() != current.table.columns.len() {
            return Err(corrupt(format!("{}: wrong number of values", at())));
        }
        let mut row = Vec::with_capacity(values.len());
        for (v, c) in values.iter().zip(&current.table.columns) {
            row.push(match (c.kind, v) {
                (_, serde_json::Value::Null) => DumpValue::Null,
                (ColumnKind::Int, serde_json::Value::Number(n)) => {
                    DumpValue::Int(n.as_i64().ok_or_else(|| {
                        corrupt(format!("{}: {} is not an integer", at(), c.name))
                    })?)
                }
                (ColumnKind::Text, serde_json::Value::String(s)) => DumpValue::Text(s.clone()),
                _ => {
                    return Err(corrupt(format!(
                        "{}: {}.{} has the wrong type",
                        at(),
                        current.table.name,
                        c.name
                    )));
                }
            });
        }
        current.rows.push(row);
    }
    if tables.len() != schema.len() {
        return Err(corrupt("some tables are missing"));
    }
    for (t, m) in tables.iter().zip(&manifest.tables) {
        if t.rows.len() != m.rows {
            return Err(corrupt(format!(
                "{}: {} row(s) in the file, {} in the manifest",
                m.name,
                t.rows.len(),
                m.rows
            )));
        }
    }
    let snap = Snapshot {
        schema_version: manifest.schema_version,
        tables,
    };
    if audit_head(&snap) != manifest.audit_head {
        return Err(corrupt("the audit chain head differs from the manifest's"));
    }
    Ok((manifest, snap))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use heartlock_store::{DumpColumn, DumpTable};

    fn sample() -> Snapshot {
        let table = |name: &str| DumpTable {
            name: name.into(),
            columns: vec![
                DumpColumn {
                    name: "id".into(),
                    kind: ColumnKind::Text,
                },
                DumpColumn {
                    name: "n".into(),
                    kind: ColumnKind::Int,
                },
            ],
            primary_key: vec![0],
        };
        Snapshot {
            schema_version: 24,
            tables: vec![
                TableRows {
                    table: table("a"),
                    rows: vec![
                        vec![
                            DumpValue::Text("x \"é\"\n".into()),
                            DumpValue::Int(i64::MIN),
                        ],
                        vec![DumpValue::Text("y".into()), DumpValue::Null],
                    ],
                },
                TableRows {
                    table: table("b"),
                    rows: vec![vec![DumpValue::Text("z".into()), DumpValue::Int(i64::MAX)]],
                },
            ],
        }
    }

    fn schema(s: &Snapshot) -> Vec<DumpTable> {
        s.tables.iter().map(|t| t.table.clone()).collect()
    }

    #[test]
    fn round_trips_exactly() {
        let snap = sample();
        let bytes = encode(&snap, "sqlite", 1).unwrap();
        let (m, back) = decode(&bytes, &schema(&snap)).unwrap();
        assert_eq!(back, snap);
        assert_eq!(m.tables[0].rows, 2);
    }

    #[test]
    fn any_flipped_byte_or_truncation_is_refused() {
        let snap = sample();
        let bytes = encode(&snap, "sqlite", 1).unwrap();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(decode(&bad, &schema(&snap)).is_err(), "byte {i}");
        }
        for cut in [1, 10, bytes.len() / 2] {
            assert!(decode(&bytes[..bytes.len() - cut], &schema(&snap)).is_err());
        }
    }

    #[test]
    fn another_schema_is_incompatible() {
        let snap = sample();
        let bytes = encode(&snap, "sqlite", 1).unwrap();
        let mut other = schema(&snap);
        other[1].columns.pop();
        assert!(matches!(
            decode(&bytes, &other),
            Err(FormatError::Incompatible(_))
        ));
    }
}
