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
#include "parser/scanner.h"
/* token codes (ICONST, IDENT, ...); needs scanner.h first */
#include "parser/gram.h"
}

/* Mix a string into the running hash. */
static uint64
mix_string(uint64 hash, const char *text)
{
	return unorder_rows::core::mix_seed(hash,
										hash_bytes_extended((const unsigned char *) text, strlen(text), 0));
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
		bool numeric = token == ICONST || token == FCONST;

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
		switch (token)
		{
			case ICONST:
			case FCONST:
			case SCONST:
			case USCONST:
			case BCONST:
			case XCONST:
				/* a literal: its value does not matter */
				hash = unorder_rows::core::mix_seed(hash, UINT64CONST(0x6c69746572616c));
				break;
			case IDENT:
			case UIDENT:
			case Op:
				hash = mix_string(hash, token_value.str);
				break;
			default:
				/* keywords and punctuation: the token code says it all */
				hash = unorder_rows::core::mix_seed(hash, (uint64) token);
				break;
		}
		after_operand = token == ICONST || token == FCONST || token == SCONST || token == USCONST ||
						token == BCONST || token == XCONST || token == IDENT || token == UIDENT ||
						token == ')' || token == ']' || token == PARAM;
	}
	scanner_finish(scanner);
	pfree(text);
	return hash;
}
