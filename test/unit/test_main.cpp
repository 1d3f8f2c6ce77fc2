/*
 * test_main.cpp
 *		Catch2 entry point of the unit tests of the pure C++17 core.
 */
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
