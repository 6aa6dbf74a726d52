# Turns the OpenCL kernel files KERNEL_DIR/*.cl into the C file OUT, which
# defines clmlp_cl_sources[] ({file name, NUL-terminated source} pairs) and
# clmlp_cl_prelude: OpenCL C #defines of the codes the kernels share with C,
# generated here from the C enums so they are never mirrored by hand:
#   CLMLP_ACT_*, CLMLP_LOSS_*  from include/clmlp.h (clmlp_act, clmlp_loss)
#   CLMLP_METRIC_*             from src/backend/backend.h
# The headers are found beside KERNEL_DIR (its parent is the source tree)
# unless CODE_HEADERS names them.  OUT also asserts, in C, that each code
# still has the value it was generated with, so a header edited after OUT
# was made stops the build instead of shipping stale codes.
if(NOT DEFINED CODE_HEADERS)
  get_filename_component(_root ${KERNEL_DIR} DIRECTORY)
  set(CODE_HEADERS ${_root}/include/clmlp.h ${_root}/src/backend/backend.h)
endif()
set(CODE_PREFIXES CLMLP_ACT_ CLMLP_LOSS_ CLMLP_METRIC_)

# Appends to the variables named by out_defs and out_asserts a #define and
# a C assertion for each member of every enum in header whose name starts
# with one of CODE_PREFIXES.  Members without an initialiser count on from
# the previous one (from 0), as C does; a code needs every initialiser up
# to it to be a whole number.
function(collect_codes header out_defs out_asserts)
  file(READ ${header} text)
  get_filename_component(hname ${header} NAME)
  # Comments and preprocessor lines out first: they may hold anything.
  string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" " " text "${text}")
  string(REGEX REPLACE "//[^\n]*" " " text "${text}")
  string(REGEX REPLACE "\\\\\n" " " text "${text}")
  string(REGEX REPLACE "\n[ \t]*#[^\n]*" "\n" text "${text}")
  # Semicolons and brackets would break CMake's lists.
  string(REPLACE ";" " " text "${text}")
  string(REPLACE "[" " " text "${text}")
  string(REPLACE "]" " " text "${text}")
  string(REGEX MATCHALL "(^|[^A-Za-z0-9_])enum[ \t\r\n]*[A-Za-z0-9_]*[ \t\r\n]*{[^}]*}"
         enums "${text}")
  set(defs "${${out_defs}}")
  set(asserts "${${out_asserts}}")
  foreach(block ${enums})
    string(REGEX REPLACE "^[^{]*{" "" body "${block}")
    string(REPLACE "}" "" body "${body}")
    string(REPLACE "," ";" members "${body}")
    set(next 0)
    foreach(m ${members})
      string(STRIP "${m}" m)
      if(m STREQUAL "")
        continue()
      endif()
      if(m MATCHES "^([A-Za-z_][A-Za-z0-9_]*)[ \t\r\n]*=[ \t\r\n]*(.*)$")
        set(name ${CMAKE_MATCH_1})
        set(value "${CMAKE_MATCH_2}")
      elseif(m MATCHES "^([A-Za-z_][A-Za-z0-9_]*)$")
        set(name ${CMAKE_MATCH_1})
        set(value "${next}")
      else()
        message(FATAL_ERROR "embed_kernels: ${header}: cannot read enum member '${m}'")
      endif()
      if(value MATCHES "^-?[0-9]+$")
        math(EXPR next "${value} + 1")
      else()
        set(next "(after ${name} = ${value})")
      endif()
      foreach(prefix ${CODE_PREFIXES})
        if(name MATCHES "^${prefix}")
          if(NOT value MATCHES "^-?[0-9]+$")
            message(FATAL_ERROR "embed_kernels: ${header}: ${name} is ${value}, not a "
                                "whole number, which the kernel codes need")
          endif()
          string(APPEND defs "#define ${name} ${value}\n")
          string(APPEND asserts "_Static_assert(${name} == ${value}, \"${name} changed after "
                                "the kernel codes were generated from ${hname}: the embedding "
                                "step must depend on it\");\n")
        endif()
      endforeach()
    endforeach()
  endforeach()
  set(${out_defs} "${defs}" PARENT_SCOPE)
  set(${out_asserts} "${asserts}" PARENT_SCOPE)
endfunction()

set(defs "")
set(asserts "")
foreach(h ${CODE_HEADERS})
  collect_codes(${h} defs asserts)
endforeach()
foreach(prefix ${CODE_PREFIXES})
  if(NOT defs MATCHES "#define ${prefix}")
    message(FATAL_ERROR "embed_kernels: no ${prefix}* codes found in ${CODE_HEADERS}")
  endif()
endforeach()

# A C string literal of the prelude: one quoted line per #define.
set(prelude "/* Generated from the C enums by cmake/embed_kernels.cmake: do not edit. */\n${defs}")
string(REPLACE "\n" "\\n\"\n    \"" prelude_c "${prelude}")
set(prelude_c "    \"${prelude_c}\"")

file(GLOB KERNELS ${KERNEL_DIR}/*.cl)
list(SORT KERNELS)
set(body "/* Generated from the .cl files in cl/ and the enums in include/clmlp.h and\n")
string(APPEND body " * src/backend/backend.h by cmake/embed_kernels.cmake; do not edit. */\n")
string(APPEND body "#include <stddef.h>\n\n#include \"backend/backend.h\"\n\n")
string(APPEND body "${asserts}\n")
string(APPEND body "const char clmlp_cl_prelude[] =\n${prelude_c};\n\n")
set(table "")
set(i 0)
foreach(path ${KERNELS})
  get_filename_component(name ${path} NAME)
  file(READ ${path} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" hex "${hex}")
  string(APPEND body "static const char k${i}[] = {\n${hex}0x00};\n")
  string(APPEND table "    {\"${name}\", k${i}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nstruct clmlp_cl_source { const char *name; const char *text; };\n")
string(APPEND body "const struct clmlp_cl_source clmlp_cl_sources[] = {\n${table}    {NULL, NULL}\n};\n")
file(WRITE ${OUT}.tmp "${body}")
file(RENAME ${OUT}.tmp ${OUT})
