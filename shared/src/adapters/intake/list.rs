//! Contact lists for `POST /imports/{source}`: CSV (as Excel saves it, German Excel
//! included) or NDJSON, read into one [`Fields`] per row, each with its line number.
//!
//! CSV: the first record is the header; its names go through the same canonical and
//! German aliases as a form's fields. The delimiter is the one of `;` and `,` the header
//! uses more (German Excel writes `;`). Text is UTF-8 (a BOM is dropped) or, when it is
//! not valid UTF-8, Windows-1252 (what Excel writes as "CSV" on a German Windows).
//! Quoted fields may hold delimiters, doubled quotes and line breaks (RFC 4180).
//! NDJSON: one flat JSON object per line, as the JSON intake reads it.

use super::fields::{Fields, FormError};
use super::web;

/// The largest list one request takes (see README, "Importing a list").
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;
/// The most rows one request takes: what one intake function run (10 s, 128 MB) imports
/// with room to spare, measured (README, "Importing a list").
pub const MAX_IMPORT_ROWS: usize = 1_000;

/// One data row: its line number in the file (the header is line 1 of a CSV) and its
/// fields, or why the row cannot be read.
#[derive(Debug, PartialEq)]
pub struct Row {
    pub line: usize,
    pub fields: Result<Fields, FormError>,
}

/// Reads a list by its media type. A list that cannot be read as a whole (wrong media
/// type, no header, no email column, too many rows) is an error; a row that cannot be
/// read is that row's error.
pub fn parse_list(content_type: &str, body: &[u8]) -> Result<Vec<Row>, FormError> {
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let rows = match media.as_str() {
        "text/csv" => csv_rows(&decode(body))?,
        "application/x-ndjson" => ndjson_rows(body)?,
        other => {
            return Err(FormError::UnsupportedMediaType(
                if other.is_empty() { "(none)" } else { other }.to_owned(),
            ))
        }
    };
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(FormError::invalid(
            "rows",
            format!(
                "the list has {} rows; one request takes at most {MAX_IMPORT_ROWS}: split it into parts",
                rows.len()
            ),
        ));
    }
    Ok(rows)
}

/// UTF-8 (without its BOM), or Windows-1252 when the bytes are not UTF-8.
pub fn decode(body: &[u8]) -> String {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    match std::str::from_utf8(body) {
        Ok(text) => text.to_owned(),
        Err(_) => body.iter().map(|&b| windows_1252(b)).collect(),
    }
}

/// One Windows-1252 byte as a character: Latin-1, except 0x80-0x9F (€, quotes, dashes,
/// Š, Œ, Ž, ...). The five bytes it leaves undefined map to the C1 control of that value,
/// which normalisation removes.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
        '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{8D}', '\u{017D}', '\u{8F}', '\u{90}',
        '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}',
        '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{9D}', '\u{017E}', '\u{0178}',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// One CSV record: its fields and the line it starts on.
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// Splits CSV text into records (RFC 4180 quoting; CRLF, LF or CR line ends).
fn records(text: &str, delimiter: char) -> Result<Vec<Record>, FormError> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            c if c == delimiter => fields.push(std::mem::take(&mut field)),
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                out.push(Record { line: start, fields: std::mem::take(&mut fields) });
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(FormError::Malformed(format!("the quoted field that starts on line {start} never ends")));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push(Record { line: start, fields });
    }
    // Blank lines are no rows.
    out.retain(|r| r.fields.iter().any(|f| !f.trim().is_empty()));
    Ok(out)
}

/// `;` when the header line holds more of them than `,` (German Excel), else `,`.
fn delimiter(text: &str) -> char {
    let header = text.lines().next().unwrap_or("");
    let count = |d: char| header.chars().filter(|&c| c == d).count();
    if count(';') > count(',') {
        ';'
    } else {
        ','
    }
}

fn csv_rows(text: &str) -> Result<Vec<Row>, FormError> {
    let records = records(text, delimiter(text))?;
    let Some((header, data)) = records.split_first() else {
        return Err(FormError::Malformed("the list is empty; its first line is the header".into()));
    };
    let names: Vec<String> = header.fields.iter().map(|n| n.trim().to_owned()).collect();
    if !names.iter().any(|n| super::canonical(n) == Some("email")) {
        return Err(FormError::invalid(
            "email",
            "no column of the header is an email column (`email`, `E-Mail`, `Mail`, `Email Address`, ...)",
        ));
    }
    for (i, name) in names.iter().enumerate() {
        if !name.is_empty() && names[..i].contains(name) {
            return Err(FormError::Malformed(format!("the header names the column `{name}` twice")));
        }
    }
    Ok(data
        .iter()
        .map(|record| {
            let fields = if record.fields.len() > names.len() {
                Err(FormError::Malformed(format!(
                    "the row has {} fields, the header {}",
                    record.fields.len(),
                    names.len()
                )))
            } else {
                let mut fields = Fields::default();
                for (name, value) in names.iter().zip(&record.fields) {
                    if !name.is_empty() && !value.trim().is_empty() {
                        fields.values.insert(name.clone(), value.clone());
                    }
                }
                Ok(fields)
            };
            Row { line: record.line, fields }
        })
        .collect())
}

fn ndjson_rows(body: &[u8]) -> Result<Vec<Row>, FormError> {
    let text = std::str::from_utf8(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body))
        .map_err(|_| FormError::Malformed("NDJSON is UTF-8".into()))?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let fields = match serde_json::from_str::<serde_json::Value>(l) {
                Ok(serde_json::Value::Object(obj)) => web::decode_json(&obj),
                Ok(_) => Err(FormError::Malformed("the line must be a JSON object".into())),
                Err(e) => Err(FormError::Malformed(format!("the line is not valid JSON: {e}"))),
            };
            Row { line: i + 1, fields }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(row: &Row) -> Vec<(&str, &str)> {
        let fields = row.fields.as_ref().unwrap();
        fields.values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn german_excel_semicolons_in_windows_1252() {
        // "E-Mail;Vorname;Firma;Mitarbeiter" / "j.gross@...;Jürgen;Müller & Söhne;1.000" in cp1252.
        let mut body = b"E-Mail;Vorname;Firma;Mitarbeiter\r\n".to_vec();
        body.extend_from_slice(b"j.gross@mueller.de;J\xFCrgen;\"M\xFCller; S\xF6hne\";1.000\r\n");
        body.extend_from_slice(b";;;\r\n");
        body.extend_from_slice(b"anna@nordwind.de;Anna;Nordwind \x80 GmbH;\r\n");
        let rows = parse_list("text/csv", &body).unwrap();
        assert_eq!(rows.len(), 2, "the blank row is no row");
        assert_eq!(rows[0].line, 2);
        assert_eq!(
            values(&rows[0]),
            [
                ("E-Mail", "j.gross@mueller.de"),
                ("Firma", "Müller; Söhne"),
                ("Mitarbeiter", "1.000"),
                ("Vorname", "Jürgen")
            ]
        );
        assert_eq!(rows[1].line, 4);
        assert_eq!(
            values(&rows[1]),
            [("E-Mail", "anna@nordwind.de"), ("Firma", "Nordwind € GmbH"), ("Vorname", "Anna")]
        );
    }

    #[test]
    fn utf8_with_bom_commas_and_quoted_line_breaks() {
        let body =
            "\u{FEFF}email,first_name,message\n\"a@b.de\",Ann,\"line one\nline \"\"two\"\"\"\nc@d.de,Cid,\n";
        let rows = parse_list("text/csv; charset=utf-8", body.as_bytes()).unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(values(&rows[0])[2], ("message", "line one\nline \"two\""));
        assert_eq!(values(&rows[1]), [("email", "c@d.de"), ("first_name", "Cid")]);
    }

    #[test]
    fn lists_that_cannot_be_read_and_rows_that_cannot() {
        assert!(matches!(parse_list("text/csv", b""), Err(FormError::Malformed(_))));
        assert!(matches!(
            parse_list("text/csv", b"name;firma\nx;y\n"),
            Err(FormError::InvalidField { field, .. }) if field == "email"
        ));
        assert!(matches!(
            parse_list("text/csv", b"email,email\na@b.de,c@d.de\n"),
            Err(FormError::Malformed(_))
        ));
        assert!(matches!(parse_list("text/csv", b"email\n\"a@b.de\n"), Err(FormError::Malformed(_))));
        assert!(matches!(parse_list("text/plain", b"email\n"), Err(FormError::UnsupportedMediaType(_))));
        let rows = parse_list("text/csv", b"email,name\na@b.de,A,extra\nc@d.de\n").unwrap();
        assert!(matches!(rows[0].fields, Err(FormError::Malformed(_))), "more fields than the header");
        assert_eq!(values(&rows[1]), [("email", "c@d.de")], "fewer fields: the rest is empty");
        let many = format!("email\n{}", "a@b.de\n".repeat(MAX_IMPORT_ROWS + 1));
        assert!(matches!(
            parse_list("text/csv", many.as_bytes()),
            Err(FormError::InvalidField { field, .. }) if field == "rows"
        ));
        let rows =
            parse_list("application/x-ndjson", b"{\"email\":\"a@b.de\"}\n\n[1]\n{\"email\":\n").unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3, 4]);
        assert_eq!(values(&rows[0]), [("email", "a@b.de")]);
        assert!(matches!(rows[1].fields, Err(FormError::Malformed(_))));
        assert!(matches!(rows[2].fields, Err(FormError::Malformed(_))));
    }
}
