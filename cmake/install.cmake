# Install rules (included from the top-level CMakeLists.txt when
# CLMLP_INSTALL is on): `cmake --install BUILD --prefix P` puts
#   lib/libclmlp.a, lib/libclmlp.so*       the static and the shared library
#   include/*.h                            the public headers
#   bin/clmlp                              the tool
#   share/clmlp/data/                      the small data sets
#   share/clmlp/examples/                  the example layers, as sources
#   lib/cmake/clmlp/                       find_package(clmlp): clmlp::clmlp
#                                          (static), clmlp::clmlp_shared
#   lib/pkgconfig/clmlp.pc                 pkg-config: the shared library
#   lib/pkgconfig/clmlp-static.pc          pkg-config: the static library
# (directories as GNUInstallDirs names them).  Nothing here writes outside
# those rules, so a prefix that cannot be written fails with CMake's own
# message.
include(CMakePackageConfigHelpers)

set(CLMLP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/clmlp)
set(CLMLP_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(TARGETS clmlp clmlp_shared EXPORT clmlpTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Runtime
          NAMELINK_COMPONENT Development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
install(FILES ${CLMLP_PUBLIC_HEADERS}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT Development)
install(TARGETS clmlp_tool RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)

# The data the project ships, small enough to go everywhere; not the MNIST
# downloads (tools/get-data) nor the README's pictures.
file(GLOB CLMLP_DATA_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/data/circle-*.csv)
install(FILES ${CLMLP_DATA_FILES} ${PROJECT_SOURCE_DIR}/data/forward-task.txt
  DESTINATION ${CMAKE_INSTALL_DATADIR}/clmlp/data COMPONENT Runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/gates
  DESTINATION ${CMAKE_INSTALL_DATADIR}/clmlp/data COMPONENT Runtime)
# The custom layers of examples/, as sources to copy from.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/clmlp/examples COMPONENT Runtime)

# ---- CMake package ----------------------------------------------------------
install(EXPORT clmlpTargets NAMESPACE clmlp:: FILE clmlpTargets.cmake
  DESTINATION ${CLMLP_CMAKE_DIR} COMPONENT Development)
if(OpenMP_C_FOUND)
  set(CLMLP_OPENMP ON)
else()
  set(CLMLP_OPENMP OFF)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/clmlpConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/clmlpConfig.cmake
  INSTALL_DESTINATION ${CLMLP_CMAKE_DIR})
# 0.x: a minor version may change the API, as the SONAME says.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(CLMLP_COMPATIBILITY SameMinorVersion)
else()
  set(CLMLP_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/clmlpConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${CLMLP_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/cmake/clmlpConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/clmlpConfigVersion.cmake
  DESTINATION ${CLMLP_CMAKE_DIR} COMPONENT Development)

# ---- pkg-config -------------------------------------------------------------
# Paths relative to the .pc file (${pcfiledir}), so that the files stay right
# whatever prefix `cmake --install --prefix` is given.
function(clmlp_pc_dir var dir)
  if(IS_ABSOLUTE "${dir}")
    set(${var} "${dir}" PARENT_SCOPE)
  else()
    set(${var} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${CLMLP_PKGCONFIG_DIR}")
  message(FATAL_ERROR "CMAKE_INSTALL_LIBDIR must be relative to the prefix for clmlp.pc "
                      "(it is ${CMAKE_INSTALL_LIBDIR})")
endif()
file(RELATIVE_PATH CLMLP_PC_PREFIX_FROM_PCDIR /prefix/${CLMLP_PKGCONFIG_DIR} /prefix)
string(REGEX REPLACE "/$" "" CLMLP_PC_PREFIX_FROM_PCDIR "${CLMLP_PC_PREFIX_FROM_PCDIR}")
clmlp_pc_dir(CLMLP_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
clmlp_pc_dir(CLMLP_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")

# What the static library needs, as linker flags: each library CMake found,
# -lNAME, with -LDIR where DIR is not one the compiler searches anyway.
set(CLMLP_PC_LIBS_PRIVATE "")
function(clmlp_pc_add_library item)
  if(item MATCHES "^-")
    set(flag "${item}")
  elseif(item MATCHES "^(.*)/lib([^/]+)\\.(so|a|dylib)(\\.[0-9.]*)?$")
    set(dir "${CMAKE_MATCH_1}")
    set(flag "-l${CMAKE_MATCH_2}")
    if(NOT dir IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
      set(flag "-L${dir} ${flag}")
    endif()
  elseif(item MATCHES "^[A-Za-z0-9_+.-]+$")
    set(flag "-l${item}")
  else()
    message(FATAL_ERROR "clmlp.pc: cannot say how to link ${item}")
  endif()
  set(libs "${CLMLP_PC_LIBS_PRIVATE}")
  string(FIND " ${libs} " " ${flag} " seen)
  if(seen EQUAL -1)
    string(APPEND libs " ${flag}")
  endif()
  set(CLMLP_PC_LIBS_PRIVATE "${libs}" PARENT_SCOPE)
endfunction()
get_target_property(clmlp_clblast_configs clblast IMPORTED_CONFIGURATIONS)
set(clmlp_clblast_location "")
foreach(config IN LISTS clmlp_clblast_configs)
  get_target_property(clmlp_clblast_location clblast IMPORTED_LOCATION_${config})
  if(clmlp_clblast_location)
    break()
  endif()
endforeach()
if(NOT clmlp_clblast_location)
  get_target_property(clmlp_clblast_location clblast IMPORTED_LOCATION)
endif()
if(NOT clmlp_clblast_location)
  message(FATAL_ERROR "clmlp.pc: CLBlast's target names no library file")
endif()
foreach(item ${clmlp_clblast_location} ${OpenCL_LIBRARIES} ${ZLIB_LIBRARIES} ${LIBZIP_LIBRARY}
             ${CLMLP_PROTOBUF_C_LIBS} ${BLAS_LIBRARIES} ${BLAS_LINKER_FLAGS})
  clmlp_pc_add_library("${item}")
endforeach()
if(OpenMP_C_FOUND)
  foreach(item ${OpenMP_C_LIBRARIES})
    clmlp_pc_add_library("${item}")
  endforeach()
endif()
if(MATH_LIBRARY)
  clmlp_pc_add_library(m)
endif()
string(STRIP "${CLMLP_PC_LIBS_PRIVATE}" CLMLP_PC_LIBS_PRIVATE)
configure_file(${PROJECT_SOURCE_DIR}/cmake/clmlp.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/clmlp.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/clmlp-static.pc.in
               ${PROJECT_BINARY_DIR}/pkgconfig/clmlp-static.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/clmlp.pc ${PROJECT_BINARY_DIR}/pkgconfig/clmlp-static.pc
  DESTINATION ${CLMLP_PKGCONFIG_DIR} COMPONENT Development)
