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
use sqlparser::dialect::{dialect_from_str, Dialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};
use std::ops::ControlFlow;

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
        let dialect = dialect_from_str(self.dialect.as_str());
        let Some(dialect) = dialect else {
            return;
        };
        let statements = match Parser::parse_sql(dialect.as_ref(), sql) {
            Ok(statements) => statements,
            Err(error) => {
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
        let spans = statement_spans(sql, dialect.as_ref(), statements.len());
        for (statement, span) in statements.iter().zip(spans) {
            let mut facts = Facts::default();
            let _ = statement.visit(&mut facts);
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

/// The byte span of each statement in `sql`: the text between top-level semicolons, found
/// with the dialect's own tokenizer (so quoted and commented semicolons do not count),
/// trimmed. Where the pieces do not line up with the parsed statements (procedural blocks),
/// every statement gets the whole text.
fn statement_spans(sql: &str, dialect: &dyn Dialect, count: usize) -> Vec<Span> {
    let whole = vec![Span::new(0, sql.len()); count];
    if count <= 1 {
        return vec![trimmed(sql, 0, sql.len()); count];
    }
    let Ok(tokens) = Tokenizer::new(dialect, sql).tokenize_with_location() else {
        return whole;
    };
    let mut cursor = Cursor::default();
    let mut spans = Vec::with_capacity(count);
    let mut start = 0;
    for token in tokens.iter().filter(|t| t.token == Token::SemiColon) {
        let Some(end) = cursor.advance(sql, token.span.start.line, token.span.start.column) else {
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
