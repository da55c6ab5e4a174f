/*
 * check_main.h: the common main() of every unit test binary. A test file
 * defines `static Suite *make_suite(void)` and then includes this header.
 */
#ifndef STEERDNS_CHECK_MAIN_H
#define STEERDNS_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static Suite *make_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(make_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
