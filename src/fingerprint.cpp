/*
 * fingerprint.cpp
 *		Statement fingerprints from PostgreSQL's own lexer.
 *
 * Core's query id would do, but it hashes table OIDs: test suites create
 * their database anew on every run, and a replayed seed must still give the
 * same order then (docs/order-contract.md §5.3).  So the fingerprint hashes the statement's
 * tokens as the SQL lexer sees them: comments and whitespace vanish,
 * keywords and unquoted identifiers are case-folded, and every literal
 * (numbers, strings, bit strings) counts as one placeholder.
 *
 * The same tokens give the text stored for the statistics view: every
 * literal replaced by $n, as pg_stat_statements stores it, so that no value
 * (a password in a test fixture) reaches shared memory.
 */
#include "fingerprint.hpp"

#include "core/seed.hpp"
#include "settings.hpp"

extern "C"
{
#include "common/keywords.h"
#include "parser/scanner.h"
}

/* What a token is, read from its first characters (gram.h is not installed in every release). */
enum TokenClass
{
	TOKEN_LITERAL,  /* number, string, bit string, dollar-quoted string */
	TOKEN_WORD,     /* identifier or keyword: the lexer gives its case-folded name */
	TOKEN_OPERATOR, /* a run of operator characters */
	TOKEN_OTHER     /* punctuation, parameters: the token code says it all */
};

/* Whether a character can be part of an operator. */
static bool
is_operator_char(char c)
{
	return c != '\0' && strchr("+-*/<>=~!@#%^&|`?:", c) != NULL;
}

/* Classify the token that starts at text[at]. */
static TokenClass
classify_token(const char *text, int at, int token)
{
	char c = text[at];
	char next = c != '\0' ? text[at + 1] : '\0';

	if (isdigit((unsigned char) c) || (c == '.' && isdigit((unsigned char) next)))
		return TOKEN_LITERAL;
	if (c == '\'' || (strchr("eEbBxXnN", c) != NULL && next == '\''))
		return TOKEN_LITERAL;
	if ((c == 'u' || c == 'U') && next == '&' && text[at + 2] == '\'')
		return TOKEN_LITERAL;
	if (c == '$' && !isdigit((unsigned char) next))
		return TOKEN_LITERAL; /* dollar quoting; $1 is a parameter */
	if (token < 256)
		return TOKEN_OTHER; /* single-character tokens: ( ) , ; + - ... */
	if (isalpha((unsigned char) c) || c == '_' || c == '"' || IS_HIGHBIT_SET(c))
		return TOKEN_WORD;
	if (is_operator_char(c))
		return TOKEN_OPERATOR;
	return TOKEN_OTHER;
}

/* Mix a string into the running hash. */
static uint64
mix_bytes(uint64 hash, const char *bytes, size_t len)
{
	return unorder_rows::core::mix_seed(hash, hash_bytes_extended((const unsigned char *) bytes, len, 0));
}

/* One token of a statement; a sign folded into the number after it counts as part of that literal. */
struct StatementToken
{
	int token;        /* core_yylex's token code (the sign's character for a lone sign) */
	TokenClass kind;  /* what it is */
	int location;     /* where it starts in the text */
	int length;       /* its length in bytes */
	const char *word; /* TOKEN_WORD: the case-folded name */
};

/*
 * The core scanner's token code for an unquoted identifier.  gram.h, which
 * defines IDENT, is not installed in every release, so the code is read once
 * by lexing an identifier.
 */
static int
identifier_token(void)
{
	static int identifier = -1;

	if (identifier < 0)
	{
		core_yy_extra_type extra;
		core_YYSTYPE token_value;
		YYLTYPE token_location;
		core_yyscan_t scanner =
			scanner_init("unorder_rows_identifier", &extra, &ScanKeywords, ScanKeywordTokens);

		identifier = core_yylex(&token_value, &token_location, scanner);
		scanner_finish(scanner);
	}
	return identifier;
}

/*
 * Whether a word token is a keyword, as ScanKeywordLookup would say of its
 * name, without looking it up again where the scanner just did: a keyword's
 * name points into the keyword list's own strings, and an unquoted
 * identifier is one the scanner found in no list.  Quoted and Unicode
 * identifiers are looked up, as they can spell a keyword.
 */
static bool
word_is_keyword(int token, const core_YYSTYPE &value, const char *text, int location)
{
	uintptr_t first = (uintptr_t) ScanKeywords.kw_string;
	uintptr_t last = (uintptr_t) GetScanKeyword(ScanKeywords.num_keywords - 1, &ScanKeywords);
	uintptr_t name = (uintptr_t) value.keyword;

	if (name >= first && name <= last)
		return true;
	if (token == identifier_token() && text[location] != '"')
		return false;
	return ScanKeywordLookup(value.str, &ScanKeywords) >= 0;
}

/*
 * Lex a NUL-terminated statement with PostgreSQL's core scanner and call fn
 * on each token.  A sign before a number is part of the literal (the parser
 * folds -5 into one constant); it is an operator only after an operand.
 */
template <typename Fn>
static void
for_each_statement_token(const char *text, Fn fn)
{
	core_yy_extra_type extra;
	core_YYSTYPE token_value;
	YYLTYPE token_location;
	core_yyscan_t scanner = scanner_init(text, &extra, &ScanKeywords, ScanKeywordTokens);

	/* the parser has warned about this text already (pg_stat_statements does the same) */
	extra.escape_string_warning = false;
	bool after_operand = false;
	int pending_sign = 0;
	int sign_location = 0;

	for (;;)
	{
		int token = core_yylex(&token_value, &token_location, scanner);
		TokenClass kind = token != 0 ? classify_token(text, token_location, token) : TOKEN_OTHER;
		bool numeric = kind == TOKEN_LITERAL &&
					   (isdigit((unsigned char) text[token_location]) || text[token_location] == '.');
		/* the scanner ends the current token with a NUL in its buffer until the next call */
		int token_end = token != 0 ? token_location + (int) strlen(extra.scanbuf + token_location) : 0;
		int start = token_location;

		if (pending_sign != 0 && numeric)
			start = sign_location;
		else if (pending_sign != 0)
			fn(StatementToken{pending_sign, TOKEN_OTHER, sign_location, 1, NULL});
		pending_sign = 0;
		if (token == 0)
			break;
		if ((token == '-' || token == '+') && !after_operand)
		{
			pending_sign = token;
			sign_location = token_location;
			continue;
		}
		fn(StatementToken{token, kind, start, token_end - start,
						  kind == TOKEN_WORD ? token_value.str : NULL});
		switch (kind)
		{
			case TOKEN_LITERAL:
				after_operand = true;
				break;
			case TOKEN_WORD:
				/* an identifier is an operand, a keyword (SELECT, WHERE, ...) is not */
				after_operand = !word_is_keyword(token, token_value, text, token_location);
				break;
			case TOKEN_OPERATOR:
				after_operand = false;
				break;
			case TOKEN_OTHER:
				after_operand = token == ')' || token == ']' || text[token_location] == '$';
				break;
		}
	}
	scanner_finish(scanner);
}

/*
 * The statement's text within the source string, as a palloc'd NUL-terminated
 * copy: from location (-1: unknown, the whole string), length bytes (0: to the
 * end).  The parser's location lies within the string, as pg_stat_statements
 * (CleanQuerytext) relies on too; measuring the whole string for every
 * statement would make a string of many statements cost quadratic time.
 * pnstrdup stops at the string's end whatever the length.
 */
static char *
statement_copy(const char *source_text, int location, int length)
{
	if (location < 0)
		location = 0;
	Assert(location <= (int) strlen(source_text));
	if (length <= 0)
		return pstrdup(source_text + location);
	return pnstrdup(source_text + location, length);
}

/* Mix one token into a fingerprint: a literal's value and a word's letter case do not count. */
static uint64
mix_token(uint64 hash, const char *text, const StatementToken &token)
{
	switch (token.kind)
	{
		case TOKEN_LITERAL:
			return unorder_rows::core::mix_seed(hash, UINT64CONST(0x6c69746572616c));
		case TOKEN_WORD:
			return mix_bytes(hash, token.word, strlen(token.word));
		case TOKEN_OPERATOR:
		{
			int end = token.location;

			while (is_operator_char(text[end]))
				end++;
			return mix_bytes(hash, text + token.location, end - token.location);
		}
		case TOKEN_OTHER:
			break;
	}
	return unorder_rows::core::mix_seed(hash, (uint64) token.token);
}

/*
 * The last statement fingerprinted: the other nodes of a statement, and the
 * same text run again, are spared the lexer.  Kept by content, not address
 * (the next statement's text may sit where the last one's did).
 */
#define FINGERPRINT_MEMO_SIZE 4096
static char *memo_text = NULL;
static int memo_length = -1;
static uint64 memo_fingerprint = 0;

uint64
statement_fingerprint(const char *source_text, int location, int length)
{
	if (source_text == NULL)
		return 0;

	char *text = statement_copy(source_text, location, length);
	int text_length = (int) strlen(text);

	if (text_length == memo_length && memcmp(text, memo_text, text_length) == 0)
	{
		pfree(text);
		return memo_fingerprint;
	}

	uint64 hash = UINT64CONST(0x756e6f7264657273); /* "unorders" */

	for_each_statement_token(text, [&hash, text](const StatementToken &token)
							 { hash = mix_token(hash, text, token); });
	if (text_length < FINGERPRINT_MEMO_SIZE)
	{
		if (memo_text == NULL)
			memo_text = (char *) MemoryContextAlloc(TopMemoryContext, FINGERPRINT_MEMO_SIZE);
		memcpy(memo_text, text, text_length);
		memo_length = text_length;
		memo_fingerprint = hash;
	}
	pfree(text);
	return hash;
}

/* Where a statement's literals are, and its highest $n parameter. */
struct LiteralSpans
{
	int *spans; /* start and length of each literal */
	int count;
	int capacity;
	int highest_param;
};

/* Note one token for normalization: a literal's span, or a parameter's number. */
static void
note_literal(LiteralSpans *literals, const char *text, const StatementToken &token)
{
	if (token.kind == TOKEN_OTHER && text[token.location] == '$')
		literals->highest_param = Max(literals->highest_param, atoi(text + token.location + 1));
	if (token.kind != TOKEN_LITERAL)
		return;
	/* N'...': the scanner returns the N (keyword NCHAR) and the string apart; keep the N */
	if (token.length == 1 && (text[token.location] == 'n' || text[token.location] == 'N'))
		return;
	if (literals->count == literals->capacity)
	{
		literals->capacity *= 2;
		literals->spans = (int *) repalloc(literals->spans, sizeof(int) * 2 * literals->capacity);
	}
	literals->spans[2 * literals->count] = token.location;
	literals->spans[2 * literals->count + 1] = token.length;
	literals->count++;
}

char *
normalized_statement_text(const char *source_text, int location, int length)
{
	if (source_text == NULL)
		return pstrdup("");

	char *text = statement_copy(source_text, location, length);
	LiteralSpans literals = {(int *) palloc(sizeof(int) * 2 * 8), 0, 8, 0};
	StringInfoData normalized;
	int copied = 0;

	for_each_statement_token(text, [&literals, text](const StatementToken &token)
							 { note_literal(&literals, text, token); });

	/* constants become $n after the statement's own parameters, as in pg_stat_statements */
	initStringInfo(&normalized);
	for (int i = 0; i < literals.count; i++)
	{
		appendBinaryStringInfo(&normalized, text + copied, literals.spans[2 * i] - copied);
		appendStringInfo(&normalized, "$%d", literals.highest_param + i + 1);
		copied = literals.spans[2 * i] + literals.spans[2 * i + 1];
	}
	appendStringInfoString(&normalized, text + copied);
	pfree(literals.spans);
	pfree(text);
	return normalized.data;
}

uint64
executing_node_seed(const EState *estate, int plan_node_id, uint64 *fingerprint)
{
	const PlannedStmt *stmt = estate->es_plannedstmt;

	*fingerprint = statement_fingerprint(estate->es_sourceText, stmt->stmt_location, stmt->stmt_len);
	return unorder_rows::core::derive_node_seed(unorder_rows_effective_seed(), *fingerprint,
												(uint64) plan_node_id);
}
