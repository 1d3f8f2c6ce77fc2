# CMake generated Testfile for 
# Source directory: /work/main
# Build directory: /work/main/build/cmake
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
include("/work/main/build/cmake/unit_tests_include-b12d07c.cmake")
