#include <hdf5.h>
// H5T_*/H5F_ACC_* are comma-expression macros that call H5open(); Swift cannot import them,
// so each becomes a function here.
static inline hid_t    cf_h5t_native_float(void)   { return H5T_NATIVE_FLOAT; }
static inline hid_t    cf_h5t_native_int64(void)   { return H5T_NATIVE_LLONG; }
static inline hid_t    cf_h5t_ieee_f32le(void)     { return H5T_IEEE_F32LE; }
static inline hid_t    cf_h5t_std_i64le(void)      { return H5T_STD_I64LE; }
static inline hid_t    cf_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t    cf_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
static inline hid_t    cf_h5p_default(void)        { return H5P_DEFAULT; }
static inline hid_t    cf_h5s_all(void)            { return H5S_ALL; }
static inline hsize_t  cf_h5s_unlimited(void)      { return H5S_UNLIMITED; }
static inline unsigned cf_h5f_acc_trunc(void)      { return H5F_ACC_TRUNC; }
static inline unsigned cf_h5f_acc_rdonly(void)     { return H5F_ACC_RDONLY; }
