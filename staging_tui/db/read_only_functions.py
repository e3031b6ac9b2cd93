"""What a read may call: functions, operators and types known to be read-only.

The classifier sees every function call, operator and type cast in PostgreSQL's own
parse tree (names decoded: quoting, U&"" escapes and schema qualification resolved).
A read may call only a name below, unqualified or qualified with `pg_catalog`;
anything else (nextval, setval, set_config, pg_terminate_backend, pg_advisory_lock,
pg_notify, lo_import, dblink_exec, query_to_xml, user functions ...) makes the
statement a write. Names are compared exactly as the parser decoded them (unquoted
names arrive lower-cased; a quoted "Lower" is not lower).
"""

from __future__ import annotations

_AGGREGATES = """
count sum avg min max bool_and bool_or every array_agg string_agg json_agg jsonb_agg
json_object_agg jsonb_object_agg xmlagg stddev stddev_pop stddev_samp variance var_pop
var_samp corr covar_pop covar_samp regr_slope regr_intercept regr_count regr_r2
percentile_cont percentile_disc mode rank dense_rank percent_rank cume_dist row_number
ntile lag lead first_value last_value nth_value bit_and bit_or bit_xor range_agg
range_intersect_agg any_value grouping
"""

_SCALARS = """
abs ceil ceiling floor round trunc sign sqrt cbrt exp ln log log10 power pow mod div pi
degrees radians sin cos tan asin acos atan atan2 random width_bucket gcd lcm factorial
scale min_scale trim_scale greatest least coalesce nullif
length char_length character_length octet_length bit_length lower upper initcap btrim
ltrim rtrim trim substr substring left right lpad rpad replace translate reverse repeat
split_part strpos position concat concat_ws format quote_ident quote_literal quote_nullable
md5 sha224 sha256 sha384 sha512 encode decode ascii chr to_hex starts_with overlay
regexp_match regexp_matches regexp_replace regexp_split_to_array regexp_split_to_table
regexp_count regexp_instr regexp_like regexp_substr string_to_array string_to_table
array_to_string array_length array_lower array_upper array_dims array_ndims array_position
array_positions array_append array_prepend array_cat array_remove array_replace cardinality
unnest generate_series generate_subscripts
now current_timestamp clock_timestamp statement_timestamp transaction_timestamp timeofday
date_trunc date_part date_bin extract age make_date make_time make_timestamp
make_timestamptz make_interval justify_days justify_hours justify_interval isfinite
to_char to_date to_number to_timestamp
to_json to_jsonb row_to_json array_to_json json_build_object jsonb_build_object
json_build_array jsonb_build_array json_object jsonb_object json_array_length
jsonb_array_length json_each jsonb_each json_each_text jsonb_each_text json_extract_path
jsonb_extract_path json_extract_path_text jsonb_extract_path_text json_object_keys
jsonb_object_keys json_array_elements jsonb_array_elements json_array_elements_text
jsonb_array_elements_text json_typeof jsonb_typeof jsonb_pretty jsonb_strip_nulls
json_strip_nulls jsonb_set jsonb_insert jsonb_path_query jsonb_path_query_array
jsonb_path_query_first jsonb_path_exists jsonb_path_match json_populate_record
jsonb_populate_record json_to_record jsonb_to_record json_to_recordset jsonb_to_recordset
num_nonnulls num_nulls
version current_database current_schema current_schemas current_setting pg_backend_pid
pg_postmaster_start_time pg_conf_load_time inet_client_addr inet_client_port
inet_server_addr inet_server_port pg_typeof pg_sleep pg_sleep_for
pg_size_pretty pg_size_bytes pg_relation_size pg_total_relation_size pg_table_size
pg_indexes_size pg_database_size pg_tablespace_size pg_column_size
pg_get_viewdef pg_get_indexdef pg_get_constraintdef pg_get_functiondef
pg_get_function_arguments pg_get_function_result pg_get_function_identity_arguments
pg_get_triggerdef pg_get_ruledef pg_get_expr pg_get_userbyid pg_get_serial_sequence
pg_table_is_visible pg_function_is_visible pg_type_is_visible pg_is_in_recovery
format_type obj_description col_description shobj_description
has_table_privilege has_column_privilege has_schema_privilege has_database_privilege
has_function_privilege has_sequence_privilege pg_has_role
txid_current_snapshot pg_current_snapshot pg_last_xact_replay_timestamp
pg_encoding_to_char pg_get_keywords pg_options_to_table array_to_tsvector
to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank
ts_headline
host hostmask masklen netmask network family broadcast abbrev
bool int2 int4 int8 float4 float8 text numeric date time timestamp timestamptz interval
name varchar bpchar char
timezone overlaps similar_to_escape similar_escape like_escape pg_collation_for normalize
is_normalized currval lastval
area center width height diameter radius point box path line lseg polygon circle npoints
isclosed isopen slope isempty lower_inc upper_inc lower_inf upper_inf range_merge
"""

_POSTGIS = """
postgis_version postgis_full_version postgis_lib_version st_astext st_aswkt st_asgeojson
st_asbinary st_asewkt st_x st_y st_z st_srid st_geometrytype st_isvalid st_isvalidreason
st_extent st_area st_length st_perimeter st_distance st_dwithin st_intersects st_contains
st_within st_covers st_touches st_crosses st_overlaps st_equals st_disjoint st_transform
st_setsrid st_makepoint st_point st_makeenvelope st_geomfromtext st_geomfromgeojson
st_buffer st_centroid st_envelope st_npoints st_numgeometries st_union st_collect
"""

READ_ONLY_FUNCTIONS = frozenset((_AGGREGATES + _SCALARS + _POSTGIS).split())


# operators a read may use (A_Expr names; the parser spells BETWEEN and friends as words)
_OPERATORS = """
= <> != < > <= >= + - * / % ^ |/ ||/ @ & | # ~ << >> || ~~ ~~* !~~ !~~* ~* !~ !~*
-> ->> #> #>> @> <@ ? ?| ?& #- @? @@ @@@ && -|- <-> <#> <<->> &< &> <<| |>> &<| |&> ~=
<<= >>= ^@ !!
BETWEEN NOT_BETWEEN BETWEEN_SYMMETRIC NOT_BETWEEN_SYMMETRIC
"""
READ_ONLY_OPERATORS = frozenset(o.replace("_", " ") for o in _OPERATORS.split())

# types a read may cast to: built-in types whose input functions only read (a cast
# calls the type's input or cast function; a user type's may write)
_TYPES = """
bool int2 int4 int8 float4 float8 numeric money text varchar bpchar char name bytea
date time timetz timestamp timestamptz interval json jsonb jsonpath uuid xml
inet cidr macaddr macaddr8 bit varbit oid
regclass regtype regproc regprocedure regoper regoperator regnamespace regrole
regconfig regdictionary regcollation
tsvector tsquery point line lseg box path polygon circle
int4range int8range numrange tsrange tstzrange daterange
int4multirange int8multirange nummultirange tsmultirange tstzmultirange datemultirange
record geometry geography box2d box3d
"""
READ_ONLY_TYPES = frozenset(_TYPES.split())

# table sampling methods built into PostgreSQL (TABLESAMPLE calls the method's handler)
READ_ONLY_SAMPLING = frozenset({"bernoulli", "system"})
