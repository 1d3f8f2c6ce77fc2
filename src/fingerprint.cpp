/*
 * fingerprint.cpp
 *		Statement fingerprints from PostgreSQL's own lexer.
 *
 * Core's query id would do, but it hashes table OIDs: test suites create
 * their database anew on every run, and a replayed seed must still give the
 * same order then (SPEC §5.3).  So the fingerprint hashes the statement's
 * tokens as the SQL lexer sees them: comments and whitespace vanish,
 * keywords and unquoted identifiers are case-folded, and every literal
 * (numbers, strings, bit strings) counts as one placeholder.
 */
#include "fingerprint.hpp"

#include "core/seed.hpp"

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

uint64
statement_fingerprint(const char *source_text, int location, int length)
{
	if (source_text == NULL)
		return 0;

	int total = strlen(source_text);

	if (location < 0 || location > total)
		location = 0;
	if (length <= 0 || location + length > total)
		length = total - location;

	char *text = pnstrdup(source_text + location, length);
	core_yy_extra_type extra;
	core_YYSTYPE token_value;
	YYLTYPE token_location;
	core_yyscan_t scanner = scanner_init(text, &extra, &ScanKeywords, ScanKeywordTokens);

	/* the parser has warned about this text already (pg_stat_statements does the same) */
	extra.escape_string_warning = false;
	uint64 hash = UINT64CONST(0x756e6f7264657273); /* "unorders" */

	/*
	 * A sign before a number is part of the literal (the parser folds -5
	 * into one constant); it is an operator only after an operand.
	 */
	bool after_operand = false;
	int pending_sign = 0;

	for (;;)
	{
		int token = core_yylex(&token_value, &token_location, scanner);
		TokenClass kind = token != 0 ? classify_token(text, token_location, token) : TOKEN_OTHER;
		bool numeric = kind == TOKEN_LITERAL &&
					   (isdigit((unsigned char) text[token_location]) || text[token_location] == '.');

		if (pending_sign != 0 && !numeric)
			hash = unorder_rows::core::mix_seed(hash, (uint64) pending_sign);
		pending_sign = 0;
		if (token == 0)
			break;
		if ((token == '-' || token == '+') && !after_operand)
		{
			pending_sign = token;
			continue;
		}
		switch (kind)
		{
			case TOKEN_LITERAL:
				/* its value does not matter */
				hash = unorder_rows::core::mix_seed(hash, UINT64CONST(0x6c69746572616c));
				after_operand = true;
				break;
			case TOKEN_WORD:
				hash = mix_bytes(hash, token_value.str, strlen(token_value.str));
				/* an identifier is an operand, a keyword (SELECT, WHERE, ...) is not */
				after_operand = ScanKeywordLookup(token_value.str, &ScanKeywords) < 0;
				break;
			case TOKEN_OPERATOR:
			{
				int end = token_location;

				while (is_operator_char(text[end]))
					end++;
				hash = mix_bytes(hash, text + token_location, end - token_location);
				after_operand = false;
				break;
			}
			case TOKEN_OTHER:
				hash = unorder_rows::core::mix_seed(hash, (uint64) token);
				after_operand = token == ')' || token == ']' || text[token_location] == '$';
				break;
		}
	}
	scanner_finish(scanner);
	pfree(text);
	return hash;
}
