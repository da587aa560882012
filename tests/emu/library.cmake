# The SIMT emulator (simt.h, the stand-in CUDA headers of include/ and the
# runtime of runtime_api.cpp) and every kernels/cuda/*.cu made host C++ by
# translate.cmake: the OBJECT library varstar_emu_kernels. test_cuda_emulated
# runs its kernels against the CPU reference in every build; a
# VARSTAR_CUDA=EMULATED build makes it the CUDA backend's kernels
# (kernels/CMakeLists.txt). Included by the top CMakeLists.txt, so that both can use it.

# varstar_emu_translate(OUT_VAR file.cu...): the translated host sources of the .cu files.
function(varstar_emu_translate out_var)
  set(outs)
  foreach(source ${ARGN})
    get_filename_component(name ${source} NAME_WE)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${source})
    set(out ${PROJECT_BINARY_DIR}/emu_translated/${name}.cpp)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -DIN=${source} -DOUT=${out} -P ${PROJECT_SOURCE_DIR}/tests/emu/translate.cmake
      DEPENDS ${source} ${PROJECT_SOURCE_DIR}/tests/emu/translate.cmake
      COMMENT "emu: translating ${rel}")
    list(APPEND outs ${out})
  endforeach()
  # nvcc does not warn on signed/unsigned comparisons in device code (threadIdx.x < an int count).
  # The .cu files share names in their anonymous namespaces (kBlock...): one translation unit each.
  set_source_files_properties(${outs} DIRECTORY ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}
                              PROPERTIES COMPILE_OPTIONS -Wno-sign-compare SKIP_UNITY_BUILD_INCLUSION ON)
  set(${out_var} ${outs} PARENT_SCOPE)
endfunction()

# Every .cu file of kernels/cuda/ (a new one that uses what the emulator lacks
# fails this build: extend tests/emu/include/).
file(GLOB VARSTAR_EMU_CU_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/cuda/*.cu)
varstar_emu_translate(VARSTAR_EMU_KERNEL_SOURCES ${VARSTAR_EMU_CU_SOURCES})
# OBJECT: every translated file is linked, so each declares its kernels (coverage).
# check.cpp and gemm.cpp (cuBLAS's products: include/cublas_v2.h) compile as they are.
add_library(varstar_emu_kernels OBJECT
  ${CMAKE_CURRENT_LIST_DIR}/simt.cpp ${CMAKE_CURRENT_LIST_DIR}/runtime_api.cpp
  ${PROJECT_SOURCE_DIR}/kernels/cuda/check.cpp ${PROJECT_SOURCE_DIR}/kernels/cuda/gemm.cpp
  ${VARSTAR_EMU_KERNEL_SOURCES})
set_target_properties(varstar_emu_kernels PROPERTIES UNITY_BUILD OFF POSITION_INDEPENDENT_CODE ON)
target_include_directories(varstar_emu_kernels BEFORE PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(varstar_emu_kernels PUBLIC varstar_kernels_cpu)
# As the test drivers (tests/CMakeLists.txt): -O1 compiles the kernel files in about half the time.
if(NOT VARSTAR_SANITIZE)
  target_compile_options(varstar_emu_kernels PRIVATE $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CONFIG:Release>>:-O1>)
endif()
