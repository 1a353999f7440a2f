/* gcrypt-init.h — LLVMFuzzerInitialize for the fuzz targets that reach
 * libgcrypt through pgpkey (pgpkey.h: the program initialises libgcrypt
 * once, before any thread).  A fuzz target is one .c file (Makefile), so
 * this is a header that defines the function: include it from the
 * target's .c and nowhere else. */
#ifndef SIGNET_FUZZ_GCRYPT_INIT_H
#define SIGNET_FUZZ_GCRYPT_INIT_H

#include <gcrypt.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!gcry_check_version(GCRYPT_VERSION))
		__builtin_trap();
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

#endif
