/* gcrypt-init.h — LLVMFuzzerInitialize for the fuzz targets that reach
 * libgcrypt through pgpkey (pgpkey.h: the program initialises libgcrypt
 * once, before any thread).  A fuzz target is one .c file (Makefile), so
 * this is a header that defines the function: include it from the
 * target's .c and nowhere else. */
#ifndef SIGNET_FUZZ_GCRYPT_INIT_H
#define SIGNET_FUZZ_GCRYPT_INIT_H

#include <gcrypt.h>

/* What every program does once before any thread; targets with an
 * initialisation of their own (the dispatch targets) call it first and
 * define FUZZ_OWN_INITIALIZE before including this header. */
static void
fuzz_gcrypt_init(void)
{
	if (!gcry_check_version(GCRYPT_VERSION))
		__builtin_trap();
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

#ifndef FUZZ_OWN_INITIALIZE
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_gcrypt_init();
	return 0;
}
#endif

#endif
