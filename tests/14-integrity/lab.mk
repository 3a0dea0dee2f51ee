LDLIBS_14-integrity := -lcrypto
