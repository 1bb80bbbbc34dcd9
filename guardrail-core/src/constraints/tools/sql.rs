//! SQL-valued arguments, classified with a real parser (`sqlparser`, dialect per tool).
//!
//! Every statement is classified as a read, a write or DDL; nested statements count too (a
//! Postgres `WITH d AS (DELETE ...) SELECT ...` is a write, `EXPLAIN ANALYZE` runs its
//! statement). Read-only tools reject writes; DDL escalates to a human gate; `DELETE` and
//! `UPDATE` without a `WHERE` (or with one that is always true) block, as do stacked
//! statements; tables are checked against the tool's allowlist.

use super::pointer::ArgPointer;
use super::{hit, value_span, ToolHits};
use crate::decision::{Action, Severity, Span};
use crate::policy::Diagnostics;
use globset::{GlobBuilder, GlobSet};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlparser::ast::{
    BinaryOperator, Expr, ObjectName, ObjectNamePart, Query, SetExpr, Statement, Visit, Visitor,
};
use sqlparser::dialect::dialect_from_str;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, Tokenizer};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

/// The SQL dialect a tool's database speaks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SqlDialect {
    /// Accepts the common syntax of most databases.
    #[default]
    Generic,
    /// ANSI SQL.
    Ansi,
    /// PostgreSQL.
    #[serde(alias = "postgresql")]
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
    /// SQLite.
    Sqlite,
    /// Microsoft SQL Server.
    Mssql,
    /// Snowflake.
    Snowflake,
    /// Google BigQuery.
    Bigquery,
    /// Amazon Redshift.
    Redshift,
    /// ClickHouse.
    Clickhouse,
    /// DuckDB.
    Duckdb,
    /// Databricks.
    Databricks,
    /// Apache Hive.
    Hive,
    /// Oracle.
    Oracle,
}

impl SqlDialect {
    fn as_str(self) -> &'static str {
        match self {
            SqlDialect::Generic => "generic",
            SqlDialect::Ansi => "ansi",
            SqlDialect::Postgres => "postgres",
            SqlDialect::Mysql => "mysql",
            SqlDialect::Sqlite => "sqlite",
            SqlDialect::Mssql => "mssql",
            SqlDialect::Snowflake => "snowflake",
            SqlDialect::Bigquery => "bigquery",
            SqlDialect::Redshift => "redshift",
            SqlDialect::Clickhouse => "clickhouse",
            SqlDialect::Duckdb => "duckdb",
            SqlDialect::Databricks => "databricks",
            SqlDialect::Hive => "hive",
            SqlDialect::Oracle => "oracle",
        }
    }
}

/// One SQL-valued argument of a tool and how it is judged.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SqlCheck {
    /// JSON pointer to the argument (`/sql`); a `*` segment matches every array element.
    pub pointer: String,
    /// The database's dialect.
    pub dialect: SqlDialect,
    /// Reject every statement that writes (DML, DDL, `SET`, ...): `sql.write_on_read_only`.
    pub read_only: bool,
    /// Tables the SQL may name (globs, case-insensitive, matched against the name as
    /// written, `schema.table` or `table`, and against its last part). Empty allows all.
    pub tables: Vec<String>,
    /// Accept several statements in one argument (migration runners); otherwise stacked
    /// statements block (`sql.multiple_statements`).
    pub allow_multiple_statements: bool,
    /// Action for DDL (`CREATE`, `ALTER`, `DROP`, `TRUNCATE`, `GRANT`, ...): `sql.ddl`.
    /// Escalate opens a human gate bound to this exact call.
    pub ddl: Action,
    /// Action for SQL that does not parse in the dialect (`sql.parse_error`): it cannot be
    /// classified, so the default fails closed.
    pub parse_error: Action,
}

impl Default for SqlCheck {
    fn default() -> Self {
        SqlCheck {
            pointer: "/sql".to_string(),
            dialect: SqlDialect::Generic,
            read_only: false,
            tables: Vec::new(),
            allow_multiple_statements: false,
            ddl: Action::Escalate,
            parse_error: Action::Block,
        }
    }
}

/// A compiled [`SqlCheck`].
#[derive(Debug)]
pub(crate) struct CompiledSqlCheck {
    pointer: ArgPointer,
    dialect: SqlDialect,
    read_only: bool,
    tables: Option<GlobSet>,
    tables_shown: String,
    allow_multiple: bool,
    ddl: Action,
    parse_error: Action,
    memo: Mutex<Memo>,
}

/// What a statement does to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Read,
    Write(&'static str),
    Ddl(&'static str),
}

impl CompiledSqlCheck {
    /// Compiles `check`; problems are reported at `path`.
    pub(crate) fn compile(
        check: &SqlCheck,
        path: &str,
        diag: &mut Diagnostics,
    ) -> Option<CompiledSqlCheck> {
        let pointer = ArgPointer::compile(&check.pointer, &format!("{path}.pointer"), diag);
        let tables = super::glob_set(&check.tables, &format!("{path}.tables"), diag, |p| {
            GlobBuilder::new(p).case_insensitive(true).build()
        });
        let shown: Vec<String> = check.tables.iter().map(|t| format!("`{t}`")).collect();
        Some(CompiledSqlCheck {
            pointer: pointer?,
            dialect: check.dialect,
            read_only: check.read_only,
            tables: if check.tables.is_empty() {
                None
            } else {
                Some(tables?)
            },
            tables_shown: shown.join(", "),
            allow_multiple: check.allow_multiple_statements,
            ddl: check.ddl,
            parse_error: check.parse_error,
            memo: Mutex::default(),
        })
    }

    /// Checks every SQL text the pointer names in `args` (for tool `tool`).
    pub(crate) fn check(&self, tool: &str, args: &Value, out: &mut ToolHits) {
        for (at, value) in self.pointer.resolve(args) {
            let Value::String(sql) = value else {
                out.push((
                    Some(at),
                    self.parse_error_hit(value, "expected SQL text".to_string()),
                ));
                continue;
            };
            self.check_sql(tool, &at, value, sql, out);
        }
    }

    fn check_sql(&self, tool: &str, at: &str, value: &Value, sql: &str, out: &mut ToolHits) {
        let parsed = self.parsed(sql);
        let statements = match parsed.as_ref() {
            Parsed::Statements(statements) => statements,
            Parsed::Error(error) => {
                let message = format!("SQL does not parse as {}: {error}", self.dialect.as_str());
                out.push((Some(at.to_string()), self.parse_error_hit(value, message)));
                return;
            }
        };
        let mut push = |rule, category, severity, action, span, message, suggestion| {
            out.push((
                Some(at.to_string()),
                hit(rule, category, severity, action, span, message, suggestion),
            ));
        };
        if statements.len() > 1 && !self.allow_multiple {
            push(
                "sql.multiple_statements",
                "sql_injection",
                Severity::High,
                Action::Block,
                value_span(value),
                format!(
                    "{} statements in one argument (stacked statements)",
                    statements.len()
                ),
                Some("send one statement per call".to_string()),
            );
        }
        for (facts, span) in statements {
            let span = *span;
            if self.read_only {
                if let Some(kind) = facts.writes.first() {
                    push(
                        "sql.write_on_read_only",
                        "write",
                        Severity::High,
                        Action::Block,
                        span,
                        format!("`{kind}` writes, but tool `{tool}` is read-only"),
                        Some("send a read-only query (SELECT)".to_string()),
                    );
                }
            } else {
                if let Some(kind) = facts.ddl.first() {
                    push(
                        "sql.ddl",
                        "schema_change",
                        Severity::High,
                        self.ddl,
                        span,
                        format!("`{kind}` changes the database schema (DDL)"),
                        Some(
                            "schema changes need a human approval of this exact statement"
                                .to_string(),
                        ),
                    );
                }
                if facts.delete_without_where {
                    push(
                        "sql.delete_without_where",
                        "destructive_sql",
                        Severity::Critical,
                        Action::Block,
                        span,
                        "`DELETE` without a restricting `WHERE` removes every row".to_string(),
                        Some("add a WHERE clause naming the rows to delete".to_string()),
                    );
                }
                if facts.update_without_where {
                    push(
                        "sql.update_without_where",
                        "destructive_sql",
                        Severity::High,
                        Action::Block,
                        span,
                        "`UPDATE` without a restricting `WHERE` rewrites every row".to_string(),
                        Some("add a WHERE clause naming the rows to update".to_string()),
                    );
                }
            }
            if let Some(allowed) = &self.tables {
                let mut reported: Vec<String> = Vec::new();
                for table in &facts.tables {
                    let last = table.rsplit('.').next().unwrap_or(table);
                    let is_cte = !table.contains('.') && facts.ctes.iter().any(|c| c == table);
                    if is_cte || allowed.is_match(table) || allowed.is_match(last) {
                        continue;
                    }
                    if reported.contains(table) {
                        continue;
                    }
                    reported.push(table.clone());
                    let shown: String = table.chars().take(120).collect();
                    push(
                        "sql.table_not_allowed",
                        "data_access",
                        Severity::High,
                        Action::Block,
                        span,
                        format!("table `{shown}` is not on tool `{tool}`'s table allowlist"),
                        Some(format!("allowed tables: {}", self.tables_shown)),
                    );
                }
            }
        }
    }

    /// What `sql` parses to, from the memo when this exact text was parsed recently.
    fn parsed(&self, sql: &str) -> Arc<Parsed> {
        if sql.len() > MEMO_MAX_SQL_BYTES {
            return Arc::new(self.parse(sql));
        }
        // A poisoned lock only means another thread panicked mid-update: skip the memo.
        let hash = Memo::hash(sql);
        if let Some(parsed) = self.memo.lock().ok().and_then(|memo| memo.get(hash, sql)) {
            return parsed;
        }
        // Parse outside the lock, so concurrent checks never wait for a parse.
        let parsed = Arc::new(self.parse(sql));
        if let Ok(mut memo) = self.memo.lock() {
            memo.insert(hash, sql, Arc::clone(&parsed));
        }
        parsed
    }

    /// Tokenizes `sql` once and parses the tokens in the check's dialect: the same tokens
    /// and options as `Parser::parse_sql`, with the token buffer sized up front and the
    /// statement separators taken from it (no second tokenizer pass for the spans).
    fn parse(&self, sql: &str) -> Parsed {
        let Some(dialect) = dialect_from_str(self.dialect.as_str()) else {
            return Parsed::Statements(Vec::new());
        };
        // Typical SQL makes one token (words, punctuation, spaces) per 2 to 3 bytes.
        let mut tokens = Vec::with_capacity(sql.len() / 2 + 16);
        if let Err(error) =
            Tokenizer::new(dialect.as_ref(), sql).tokenize_with_location_into_buf(&mut tokens)
        {
            return Parsed::Error(ParserError::from(error).to_string());
        }
        let separators: Vec<Location> = tokens
            .iter()
            .filter(|t| t.token == Token::SemiColon)
            .map(|t| t.span.start)
            .collect();
        let statements = match Parser::new(dialect.as_ref())
            .with_tokens_with_locations(tokens)
            .parse_statements()
        {
            Ok(statements) => statements,
            Err(error) => return Parsed::Error(error.to_string()),
        };
        let spans = statement_spans(sql, &separators, statements.len());
        Parsed::Statements(
            statements
                .iter()
                .zip(spans)
                .map(|(statement, span)| {
                    let mut facts = Facts::default();
                    let _ = statement.visit(&mut facts);
                    (facts, span)
                })
                .collect(),
        )
    }

    fn parse_error_hit(&self, value: &Value, message: String) -> crate::scan::Hit {
        hit(
            "sql.parse_error",
            "unparseable",
            Severity::Medium,
            self.parse_error,
            value_span(value),
            message,
            Some(format!(
                "send SQL in the tool's `{}` dialect; what cannot be parsed cannot be checked",
                self.dialect.as_str()
            )),
        )
    }
}

/// What parsing one SQL text gave: everything the findings depend on, so that a memoized
/// parse yields exactly the findings of a fresh one.
#[derive(Debug)]
enum Parsed {
    /// The parser's (or tokenizer's) error message.
    Error(String),
    /// Each statement's facts and byte span.
    Statements(Vec<(Facts, Span)>),
}

/// How many recent parses one SQL check remembers.
const MEMO_ENTRIES: usize = 32;
/// Longer SQL texts are always parsed afresh (bounds the memo at 32 × 4 KiB of text).
const MEMO_MAX_SQL_BYTES: usize = 4096;

/// The last [`MEMO_ENTRIES`] distinct SQL texts a check parsed, keyed by the exact text
/// (the dialect is the check's own), replaced oldest first. Agents often send one
/// statement many times; a hit skips the parse. Parsing is a pure function of the text,
/// so the memo changes no finding, only the time.
#[derive(Debug, Default)]
struct Memo {
    /// Text hash (fixed seed: the same on every run), text, parse.
    entries: Vec<(u64, Box<str>, Arc<Parsed>)>,
    /// The slot the next insert replaces once the memo is full.
    next: usize,
}

impl Memo {
    /// Statements that differ only near the end (`LIMIT 50` / `LIMIT 51`) are common, so
    /// entries are told apart by hash before their texts are compared.
    fn hash(sql: &str) -> u64 {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::with_seed(0).hash_one(sql)
    }

    fn find(&self, hash: u64, sql: &str) -> Option<&Arc<Parsed>> {
        self.entries
            .iter()
            .find(|(h, text, _)| *h == hash && text.as_ref() == sql)
            .map(|(_, _, parsed)| parsed)
    }

    fn get(&self, hash: u64, sql: &str) -> Option<Arc<Parsed>> {
        self.find(hash, sql).map(Arc::clone)
    }

    fn insert(&mut self, hash: u64, sql: &str, parsed: Arc<Parsed>) {
        // Another thread may have parsed the same text meanwhile.
        if self.find(hash, sql).is_some() {
            return;
        }
        let entry = (hash, Box::from(sql), parsed);
        if self.entries.len() < MEMO_ENTRIES {
            self.entries.push(entry);
        } else if let Some(slot) = self.entries.get_mut(self.next) {
            *slot = entry;
            self.next = (self.next + 1) % MEMO_ENTRIES;
        }
    }
}

/// What a walk over one statement (and every statement nested in it) found.
#[derive(Debug, Default)]
struct Facts {
    writes: Vec<&'static str>,
    ddl: Vec<&'static str>,
    delete_without_where: bool,
    update_without_where: bool,
    /// Relations named, as written (`schema.table`), unquoted.
    tables: Vec<String>,
    /// Names bound by `WITH` (not real tables).
    ctes: Vec<String>,
}

impl Visitor for Facts {
    type Break = ();

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        match classify(statement) {
            Class::Read => {}
            Class::Write(kind) => self.writes.push(kind),
            Class::Ddl(kind) => {
                self.writes.push(kind);
                self.ddl.push(kind);
            }
        }
        match statement {
            Statement::Delete(delete) if unrestricted(delete.selection.as_ref()) => {
                self.delete_without_where = true;
            }
            Statement::Update(update) if unrestricted(update.selection.as_ref()) => {
                self.update_without_where = true;
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.push(cte.alias.name.value.clone());
            }
        }
        // `SELECT ... INTO new_table` creates a table.
        if let SetExpr::Select(select) = query.body.as_ref() {
            if select.into.is_some() {
                self.writes.push("SELECT INTO");
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        let parts: Vec<&str> = relation
            .0
            .iter()
            .filter_map(|part| match part {
                ObjectNamePart::Identifier(ident) => Some(ident.value.as_str()),
                ObjectNamePart::Function(_) => None,
            })
            .collect();
        self.tables.push(parts.join("."));
        ControlFlow::Continue(())
    }
}

/// Whether a `WHERE` clause restricts nothing: absent, or always true (`TRUE`, `1`,
/// `1 = 1`, `'a' = 'a'`, `x OR 1 = 1`).
fn unrestricted(selection: Option<&Expr>) -> bool {
    selection.is_none_or(always_true)
}

fn always_true(expr: &Expr) -> bool {
    use sqlparser::ast::Value as V;
    match expr {
        Expr::Nested(inner) => always_true(inner),
        Expr::Value(v) => match &v.value {
            V::Boolean(b) => *b,
            V::Number(n, _) => n.trim_start_matches(['0', '.']).chars().any(|c| c != '0'),
            _ => false,
        },
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::Or => always_true(left) || always_true(right),
            BinaryOperator::And => always_true(left) && always_true(right),
            BinaryOperator::Eq => {
                let literal = |e: &Expr| matches!(e, Expr::Value(_) | Expr::Identifier(_));
                literal(left) && literal(right) && left.to_string() == right.to_string()
            }
            _ => false,
        },
        _ => false,
    }
}

/// Classifies one statement (not the statements nested in it: the walk visits those).
fn classify(statement: &Statement) -> Class {
    use Statement as S;
    match statement {
        S::Query(_)
        | S::ExplainTable { .. }
        | S::Use { .. }
        | S::StartTransaction { .. }
        | S::Commit { .. }
        | S::Rollback { .. }
        | S::Savepoint { .. }
        | S::ReleaseSavepoint { .. }
        | S::ShowFunctions { .. }
        | S::ShowVariable { .. }
        | S::ShowStatus { .. }
        | S::ShowVariables { .. }
        | S::ShowCreate { .. }
        | S::ShowColumns { .. }
        | S::ShowCatalogs { .. }
        | S::ShowDatabases { .. }
        | S::ShowProcessList { .. }
        | S::ShowSchemas { .. }
        | S::ShowCharset { .. }
        | S::ShowObjects { .. }
        | S::ShowTables { .. }
        | S::ShowViews { .. }
        | S::ShowCollation { .. } => Class::Read,
        // EXPLAIN ANALYZE runs its statement; the walk classifies that statement itself
        // (so a plain EXPLAIN of a write is judged as the write: conservative).
        S::Explain { .. } => Class::Read,
        S::Insert { .. } => Class::Write("INSERT"),
        S::Update { .. } => Class::Write("UPDATE"),
        S::Delete { .. } => Class::Write("DELETE"),
        S::Merge { .. } => Class::Write("MERGE"),
        S::Copy { .. } | S::CopyIntoSnowflake { .. } => Class::Write("COPY"),
        S::Set { .. } => Class::Write("SET"),
        S::Call { .. } => Class::Write("CALL"),
        S::CreateView { .. }
        | S::CreateTable { .. }
        | S::CreateVirtualTable { .. }
        | S::CreateIndex { .. }
        | S::CreateRole { .. }
        | S::CreateSecret { .. }
        | S::CreateServer { .. }
        | S::CreatePolicy { .. }
        | S::CreateConnector { .. }
        | S::CreateOperator { .. }
        | S::CreateOperatorFamily { .. }
        | S::CreateOperatorClass { .. }
        | S::CreateTextSearch { .. }
        | S::CreateExtension { .. }
        | S::CreateCollation { .. }
        | S::CreateSchema { .. }
        | S::CreateDatabase { .. }
        | S::CreateFunction { .. }
        | S::CreateTrigger { .. }
        | S::CreateProcedure { .. }
        | S::CreateMacro { .. }
        | S::CreateStage { .. }
        | S::CreateFileFormat { .. }
        | S::CreateWarehouse { .. }
        | S::CreateSequence { .. }
        | S::CreateDomain { .. }
        | S::CreateType { .. }
        | S::CreateUser { .. } => Class::Ddl("CREATE"),
        S::AlterTable { .. }
        | S::AlterSchema { .. }
        | S::AlterIndex { .. }
        | S::AlterView { .. }
        | S::AlterFunction { .. }
        | S::AlterType { .. }
        | S::AlterCollation { .. }
        | S::AlterOperator { .. }
        | S::AlterOperatorFamily { .. }
        | S::AlterOperatorClass { .. }
        | S::AlterTextSearch { .. }
        | S::AlterRole { .. }
        | S::AlterPolicy { .. }
        | S::AlterConnector { .. }
        | S::AlterUser { .. } => Class::Ddl("ALTER"),
        S::Drop { .. }
        | S::DropFunction { .. }
        | S::DropDomain { .. }
        | S::DropProcedure { .. }
        | S::DropSecret { .. }
        | S::DropPolicy { .. }
        | S::DropConnector { .. }
        | S::DropExtension { .. }
        | S::DropOperator { .. }
        | S::DropOperatorFamily { .. }
        | S::DropOperatorClass { .. }
        | S::DropTrigger { .. } => Class::Ddl("DROP"),
        S::Truncate { .. } => Class::Ddl("TRUNCATE"),
        S::RenameTable { .. } => Class::Ddl("RENAME"),
        S::Comment { .. } => Class::Ddl("COMMENT"),
        S::Grant { .. } | S::Deny { .. } => Class::Ddl("GRANT"),
        S::Revoke { .. } => Class::Ddl("REVOKE"),
        // Everything else (PRAGMA, VACUUM, LOAD, LOCK, session settings, ...) may change
        // state: a write, never a read.
        _ => Class::Write("statement"),
    }
}

/// The byte span of each statement in `sql`: the text between top-level semicolons (the
/// `separators`, found by the dialect's own tokenizer, so quoted and commented semicolons
/// do not count), trimmed. Where the pieces do not line up with the parsed statements
/// (procedural blocks), every statement gets the whole text.
fn statement_spans(sql: &str, separators: &[Location], count: usize) -> Vec<Span> {
    let whole = vec![Span::new(0, sql.len()); count];
    if count <= 1 {
        return vec![trimmed(sql, 0, sql.len()); count];
    }
    let mut cursor = Cursor::default();
    let mut spans = Vec::with_capacity(count);
    let mut start = 0;
    for separator in separators {
        let Some(end) = cursor.advance(sql, separator.line, separator.column) else {
            return whole;
        };
        let piece = trimmed(sql, start, end);
        if !piece.is_empty() {
            spans.push(piece);
        }
        start = end + 1;
    }
    let last = trimmed(sql, start.min(sql.len()), sql.len());
    if !last.is_empty() {
        spans.push(last);
    }
    if spans.len() == count {
        spans
    } else {
        whole
    }
}

/// `start..end` without surrounding whitespace.
fn trimmed(sql: &str, start: usize, end: usize) -> Span {
    let Some(piece) = sql.get(start..end) else {
        return Span::new(start, start);
    };
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    Span::new(start + lead, (end - trail).max(start + lead))
}

/// Converts the tokenizer's increasing 1-based line / column (in chars) positions to byte
/// offsets in one forward pass.
#[derive(Debug)]
struct Cursor {
    offset: usize,
    line: u64,
    column: u64,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            offset: 0,
            line: 1,
            column: 1,
        }
    }
}

impl Cursor {
    fn advance(&mut self, text: &str, line: u64, column: u64) -> Option<usize> {
        let rest = text.get(self.offset..)?;
        for c in rest.chars() {
            if (self.line, self.column) >= (line, column) {
                break;
            }
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
            self.offset += c.len_utf8();
        }
        ((self.line, self.column) == (line, column)).then_some(self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(check: SqlCheck) -> CompiledSqlCheck {
        let mut diag = Diagnostics::default();
        let compiled = CompiledSqlCheck::compile(&check, "sql[0]", &mut diag).unwrap();
        assert!(diag.is_empty());
        compiled
    }

    fn hits(check: &CompiledSqlCheck, sql: &str) -> ToolHits {
        let mut out = Vec::new();
        check.check("db.query", &Value::String(sql.to_string()), &mut out);
        out
    }

    /// Texts covering every outcome: reads, writes, DDL, stacked statements with their
    /// spans, unlisted tables, parser and tokenizer errors, empty input.
    const TEXTS: [&str; 12] = [
        "SELECT c.id FROM customers c JOIN invoices i ON i.customer_id = c.id WHERE c.id = $1",
        "DELETE FROM invoices",
        "UPDATE invoices SET total = 0",
        "WITH gone AS (DELETE FROM invoices WHERE id = 1 RETURNING *) SELECT * FROM gone",
        "ALTER TABLE refunds ADD COLUMN n int",
        "SELECT 1; DROP TABLE invoices ;\n SELECT ';' FROM users -- ;",
        "SELECT * FROM users u JOIN pg_catalog.pg_authid a ON true",
        "SELEC * FROM invoices",
        "SELECT 'unterminated",
        "SELECT ((((",
        "",
        "BEGIN; COMMIT",
    ];

    #[test]
    fn one_tokenizer_pass_parses_like_parse_sql() {
        let check = compiled(SqlCheck {
            dialect: SqlDialect::Postgres,
            ..SqlCheck::default()
        });
        let dialect = sqlparser::dialect::PostgreSqlDialect {};
        for text in TEXTS {
            match (check.parse(text), Parser::parse_sql(&dialect, text)) {
                (Parsed::Error(ours), Err(theirs)) => assert_eq!(ours, theirs.to_string()),
                (Parsed::Statements(ours), Ok(theirs)) => assert_eq!(ours.len(), theirs.len()),
                (ours, theirs) => panic!("{text}: {ours:?} vs {theirs:?}"),
            }
        }
    }

    #[test]
    fn memoized_parses_give_the_findings_of_fresh_ones() {
        for check in [
            SqlCheck {
                dialect: SqlDialect::Postgres,
                read_only: true,
                tables: vec!["invoices".into(), "customers".into()],
                ..SqlCheck::default()
            },
            SqlCheck::default(),
        ] {
            let warm = compiled(check.clone());
            for text in TEXTS {
                let fresh = hits(&compiled(check.clone()), text);
                assert_eq!(hits(&warm, text), fresh, "{text}");
                assert_eq!(hits(&warm, text), fresh, "{text} (memoized)");
            }
            // Evicted texts are parsed again, with the same findings.
            for n in 0..2 * MEMO_ENTRIES {
                hits(&warm, &format!("SELECT {n} FROM users"));
            }
            for text in TEXTS {
                assert_eq!(hits(&warm, text), hits(&compiled(check.clone()), text));
            }
        }
    }

    #[test]
    fn the_memo_is_bounded_and_replaces_oldest_first() {
        let check = compiled(SqlCheck::default());
        let texts: Vec<String> = (0..MEMO_ENTRIES + 3)
            .map(|n| format!("SELECT {n}"))
            .collect();
        for text in &texts {
            check.parsed(text);
        }
        let memo = check.memo.lock().unwrap();
        assert_eq!(memo.entries.len(), MEMO_ENTRIES);
        let held = |text: &String| memo.get(Memo::hash(text), text).is_some();
        assert!(!texts.iter().take(3).any(held));
        assert!(texts.iter().skip(3).all(held));
        drop(memo);
        // Long texts are never held.
        let long = format!("SELECT 1 {}", " ".repeat(MEMO_MAX_SQL_BYTES));
        check.parsed(&long);
        let memo = check.memo.lock().unwrap();
        assert!(memo.get(Memo::hash(&long), &long).is_none());
    }
}
