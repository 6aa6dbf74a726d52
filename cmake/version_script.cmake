# Writes the linker version script of the shared library (cmake -P):
# every function the public headers declare is global, everything else is
# local, so the internal clmlp_ helpers the static archive needs between its
# objects stay out of the shared library's dynamic symbol table.
#
#   cmake -DINCLUDE_DIR=<include/> -DOUT=<file.map> [-DFORMAT=dynamic-list] -P version_script.cmake
#
# A declaration is a name clmlp_... followed by "(" outside comments and
# preprocessor lines; a callback typedef such as (*clmlp_epoch_cb)(...) is
# not one (")" follows the name).  tests/test_symbols.c checks the result
# independently.
cmake_minimum_required(VERSION 3.16)
if(NOT INCLUDE_DIR OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DINCLUDE_DIR=DIR -DOUT=FILE -P version_script.cmake")
endif()

file(GLOB headers "${INCLUDE_DIR}/*.h")
list(SORT headers)
set(names "")
foreach(header IN LISTS headers)
  file(READ "${header}" text)
  # Comments out: CMake's regular expressions are greedy, so one /* ... */
  # at a time.
  while(TRUE)
    string(FIND "${text}" "/*" open)
    if(open EQUAL -1)
      break()
    endif()
    string(SUBSTRING "${text}" 0 ${open} before)
    string(SUBSTRING "${text}" ${open} -1 rest)
    string(FIND "${rest}" "*/" close)
    if(close EQUAL -1)
      message(FATAL_ERROR "${header}: a comment that does not end")
    endif()
    math(EXPR close "${close} + 2")
    string(SUBSTRING "${rest}" ${close} -1 rest)
    set(text "${before} ${rest}")
  endwhile()
  string(REGEX REPLACE "//[^\n]*" "" text "${text}")
  # Preprocessor lines, continuations joined: a function-like macro (or a
  # function a macro defines, as CLMLP_PLUGIN does in a plugin) is no
  # function of the library.
  string(REGEX REPLACE "\\\\\n" " " text "${text}")
  string(REGEX REPLACE "(^|\n)[ \t]*#[^\n]*" "\\1" text "${text}")
  string(REGEX MATCHALL "(^|[^A-Za-z0-9_])clmlp_[A-Za-z0-9_]*[ \t\r\n]*\\(" calls "${text}")
  foreach(call IN LISTS calls)
    string(REGEX REPLACE "^.*(clmlp_[A-Za-z0-9_]*).*$" "\\1" name "${call}")
    list(APPEND names "${name}")
  endforeach()
endforeach()
list(REMOVE_DUPLICATES names)
list(SORT names)
list(LENGTH names count)
if(count EQUAL 0)
  message(FATAL_ERROR "no clmlp_ functions declared in ${INCLUDE_DIR}/*.h")
endif()

# FORMAT=dynamic-list writes the same names as a linker dynamic list: what
# a program linking the static library exports, so that plugins it loads
# (clmlp_plugin_load) find the API in it.
if(FORMAT STREQUAL "dynamic-list")
  set(map "/* Generated from ${INCLUDE_DIR}/*.h by cmake/version_script.cmake. */\n{\n")
  foreach(name IN LISTS names)
    string(APPEND map "  ${name};\n")
  endforeach()
  string(APPEND map "};\n")
else()
  set(map "/* Generated from ${INCLUDE_DIR}/*.h by cmake/version_script.cmake. */\n{\n  global:\n")
  foreach(name IN LISTS names)
    string(APPEND map "    ${name};\n")
  endforeach()
  string(APPEND map "  local:\n    *;\n};\n")
endif()
file(WRITE "${OUT}" "${map}")
