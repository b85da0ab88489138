--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: kassa_notify(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.kassa_notify(schema_name text, payload text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF octet_length(payload) > 7900 THEN
        payload := '{"k":"reset"}';
    END IF;
    PERFORM pg_notify('kassa_changes:' || schema_name, payload);
END
$$;


--
-- Name: kassa_notify_event(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.kassa_notify_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO '$user', 'public'
    AS $$
BEGIN
    PERFORM kassa_notify(TG_TABLE_SCHEMA, '{"k":"event"}');
    RETURN NULL;
END
$$;


--
-- Name: kassa_notify_follow(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.kassa_notify_follow() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO '$user', 'public'
    AS $$
BEGIN
    PERFORM kassa_notify(TG_TABLE_SCHEMA,
        json_build_object('k', 'follow', 'n', NEW.network, 'm', NEW.mode, 'v', NEW.txid)::text);
    RETURN NULL;
END
$$;


--
-- Name: kassa_notify_watch(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.kassa_notify_watch() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO '$user', 'public'
    AS $$
BEGIN
    PERFORM kassa_notify(TG_TABLE_SCHEMA,
        json_build_object('k', 'watch', 'n', NEW.network, 'm', NEW.mode, 'v', NEW.address)::text);
    RETURN NULL;
END
$$;


SET default_table_access_method = heap;

--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    id text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    label text NOT NULL COLLATE pg_catalog."C",
    prefix text NOT NULL COLLATE pg_catalog."C",
    hash bytea NOT NULL,
    sealed bytea NOT NULL,
    allowed_ips json NOT NULL,
    rate_limit integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT api_keys_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text])))
);


--
-- Name: chain_blocks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chain_blocks (
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    height bigint NOT NULL,
    hash text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: chain_cursors; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chain_cursors (
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    height bigint NOT NULL,
    hash text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: chain_followed; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chain_followed (
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    txid text NOT NULL COLLATE pg_catalog."C",
    inputs json NOT NULL,
    until timestamp with time zone
);


--
-- Name: chain_journal; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chain_journal (
    seq bigint NOT NULL,
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    entry bytea NOT NULL
);


--
-- Name: chain_journal_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.chain_journal ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.chain_journal_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: chain_transfers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chain_transfers (
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    txid text NOT NULL COLLATE pg_catalog."C",
    idx bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    asset text NOT NULL COLLATE pg_catalog."C",
    address text NOT NULL COLLATE pg_catalog."C",
    amount numeric NOT NULL,
    block_height bigint,
    block_hash text COLLATE pg_catalog."C",
    status text NOT NULL COLLATE pg_catalog."C",
    confirmations bigint NOT NULL,
    required bigint NOT NULL,
    seen_at timestamp with time zone NOT NULL,
    booked text DEFAULT 'none'::text NOT NULL COLLATE pg_catalog."C",
    book_seq integer DEFAULT 0 NOT NULL,
    "out" boolean DEFAULT false NOT NULL,
    failed boolean DEFAULT false NOT NULL,
    conflicted_by text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    sender text DEFAULT ''::text NOT NULL,
    swept boolean DEFAULT false NOT NULL,
    CONSTRAINT chain_transfers_amount_check CHECK ((amount = trunc(amount))),
    CONSTRAINT chain_transfers_booked_check CHECK ((booked = ANY (ARRAY['none'::text, 'pending'::text, 'available'::text]))),
    CONSTRAINT chain_transfers_status_check CHECK ((status = ANY (ARRAY['mempool'::text, 'confirming'::text, 'confirmed'::text, 'orphaned'::text, 'dropped'::text])))
);


--
-- Name: customers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.customers (
    id text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    external_id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    email text NOT NULL COLLATE pg_catalog."C",
    phone text NOT NULL COLLATE pg_catalog."C",
    description text NOT NULL,
    metadata json,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT customers_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text])))
);


--
-- Name: event_subscribers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.event_subscribers (
    name text NOT NULL COLLATE pg_catalog."C",
    seq bigint NOT NULL
);


--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    seq bigint NOT NULL,
    id text NOT NULL COLLATE pg_catalog."C",
    type text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    object_id text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL,
    data json NOT NULL
);


--
-- Name: events_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.events ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.events_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: evm_nonces; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.evm_nonces (
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    address text NOT NULL COLLATE pg_catalog."C",
    next bigint NOT NULL
);


--
-- Name: evm_sends; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.evm_sends (
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    spec_id text NOT NULL COLLATE pg_catalog."C",
    attempt integer NOT NULL,
    kind text NOT NULL COLLATE pg_catalog."C",
    from_addr text NOT NULL COLLATE pg_catalog."C",
    to_addr text NOT NULL COLLATE pg_catalog."C",
    asset text NOT NULL COLLATE pg_catalog."C",
    amount numeric NOT NULL,
    nonce bigint NOT NULL,
    txid text NOT NULL COLLATE pg_catalog."C",
    raw bytea NOT NULL,
    max_fee numeric NOT NULL,
    status text NOT NULL COLLATE pg_catalog."C",
    fee numeric,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT evm_sends_amount_check CHECK ((amount = trunc(amount))),
    CONSTRAINT evm_sends_fee_check CHECK ((fee = trunc(fee))),
    CONSTRAINT evm_sends_max_fee_check CHECK ((max_fee = trunc(max_fee))),
    CONSTRAINT evm_sends_status_check CHECK ((status = ANY (ARRAY['signed'::text, 'broadcast'::text, 'confirmed'::text, 'failed'::text, 'replaced'::text])))
);


--
-- Name: idempotency; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.idempotency (
    key_id text NOT NULL COLLATE pg_catalog."C",
    key text NOT NULL COLLATE pg_catalog."C",
    request_hash bytea NOT NULL,
    status text NOT NULL COLLATE pg_catalog."C",
    code integer DEFAULT 0 NOT NULL,
    body bytea,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT idempotency_status_check CHECK ((status = ANY (ARRAY['running'::text, 'done'::text])))
);


--
-- Name: invoice_methods; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.invoice_methods (
    invoice_id text NOT NULL COLLATE pg_catalog."C",
    seq integer NOT NULL,
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    asset text NOT NULL COLLATE pg_catalog."C",
    address text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: invoices; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.invoices (
    id text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL COLLATE pg_catalog."C",
    status text NOT NULL COLLATE pg_catalog."C",
    order_id text COLLATE pg_catalog."C",
    customer_id text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    monitor_until timestamp with time zone NOT NULL,
    watching boolean NOT NULL,
    body json NOT NULL,
    request_key text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    params_hash text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    CONSTRAINT invoices_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text])))
);


--
-- Name: kassa_schema; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.kassa_schema (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: key_indexes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.key_indexes (
    family text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    next_index bigint NOT NULL,
    CONSTRAINT key_indexes_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text]))),
    CONSTRAINT key_indexes_next_index_check CHECK ((next_index >= 0))
);


--
-- Name: leases; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.leases (
    name text NOT NULL COLLATE pg_catalog."C",
    holder text NOT NULL COLLATE pg_catalog."C",
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: ledger_accounts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ledger_accounts (
    name text NOT NULL COLLATE pg_catalog."C",
    asset text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    non_negative boolean NOT NULL,
    balance numeric DEFAULT 0 NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT ledger_accounts_balance_check CHECK ((balance = trunc(balance))),
    CONSTRAINT ledger_accounts_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text]))),
    CONSTRAINT ledger_accounts_non_negative CHECK (((NOT non_negative) OR (balance >= (0)::numeric)))
);


--
-- Name: ledger_entries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ledger_entries (
    id bigint NOT NULL,
    idem_key text NOT NULL COLLATE pg_catalog."C",
    hash bytea NOT NULL,
    description text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL
);


--
-- Name: ledger_entries_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.ledger_entries ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.ledger_entries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: ledger_holds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ledger_holds (
    id text NOT NULL COLLATE pg_catalog."C",
    from_account text NOT NULL COLLATE pg_catalog."C",
    holding_account text NOT NULL COLLATE pg_catalog."C",
    amount numeric NOT NULL,
    state text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL,
    closed_at timestamp with time zone,
    CONSTRAINT ledger_holds_amount_check CHECK ((amount = trunc(amount))),
    CONSTRAINT ledger_holds_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'posted'::text, 'voided'::text])))
);


--
-- Name: ledger_postings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ledger_postings (
    entry_id bigint NOT NULL,
    seq integer NOT NULL,
    account text NOT NULL COLLATE pg_catalog."C",
    amount numeric NOT NULL,
    CONSTRAINT ledger_postings_amount_check CHECK ((amount = trunc(amount)))
);


--
-- Name: payout_codes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payout_codes (
    payout_id text NOT NULL COLLATE pg_catalog."C",
    hash bytea NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    attempts integer DEFAULT 0 NOT NULL
);


--
-- Name: payout_replaced_txs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payout_replaced_txs (
    mode text NOT NULL COLLATE pg_catalog."C",
    txid text NOT NULL COLLATE pg_catalog."C",
    payout_id text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: payouts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payouts (
    id text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    batch_id text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    status text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL,
    body json NOT NULL,
    request_key text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    auto_usd_cents bigint DEFAULT 0 NOT NULL,
    tx_hash text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    wallet_id text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    CONSTRAINT payouts_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text])))
);


--
-- Name: rate_buckets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rate_buckets (
    key text NOT NULL COLLATE pg_catalog."C",
    tokens numeric NOT NULL,
    took boolean NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    full_at timestamp with time zone NOT NULL
);


--
-- Name: refunds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.refunds (
    id text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    object text DEFAULT 'refund'::text NOT NULL COLLATE pg_catalog."C",
    invoice_id text NOT NULL COLLATE pg_catalog."C",
    payout_id text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    status text NOT NULL COLLATE pg_catalog."C",
    claim_token text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    claim_expires_at timestamp with time zone,
    request_key text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL,
    body json NOT NULL,
    CONSTRAINT refunds_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text]))),
    CONSTRAINT refunds_object_check CHECK ((object = ANY (ARRAY['refund'::text, 'rebound'::text])))
);


--
-- Name: seen_signatures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.seen_signatures (
    key_id text NOT NULL COLLATE pg_catalog."C",
    signature bytea NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.settings (
    name text NOT NULL COLLATE pg_catalog."C",
    value bytea NOT NULL
);


--
-- Name: sweeps; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sweeps (
    id text NOT NULL COLLATE pg_catalog."C",
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL COLLATE pg_catalog."C",
    address text NOT NULL COLLATE pg_catalog."C",
    asset text NOT NULL COLLATE pg_catalog."C",
    status text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL,
    body json NOT NULL,
    CONSTRAINT sweeps_kind_check CHECK ((kind = ANY (ARRAY['sweep'::text, 'cold'::text]))),
    CONSTRAINT sweeps_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text])))
);


--
-- Name: wallet_addresses; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.wallet_addresses (
    family text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    address text NOT NULL COLLATE pg_catalog."C",
    branch bigint NOT NULL,
    idx bigint NOT NULL,
    pubkey bytea NOT NULL
);


--
-- Name: wallet_sends; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.wallet_sends (
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    spec_id text NOT NULL COLLATE pg_catalog."C",
    txid text NOT NULL COLLATE pg_catalog."C",
    raw bytea NOT NULL,
    fee bigint NOT NULL,
    amount bigint NOT NULL,
    destination text NOT NULL COLLATE pg_catalog."C",
    change_addr text NOT NULL COLLATE pg_catalog."C",
    status text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL,
    change_index bigint DEFAULT 0 NOT NULL,
    change_amount bigint DEFAULT 0 NOT NULL,
    depth bigint DEFAULT 1 NOT NULL,
    replaces text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    CONSTRAINT wallet_sends_status_check CHECK ((status = ANY (ARRAY['unsigned'::text, 'signed'::text, 'broadcast'::text, 'failed'::text, 'replaced'::text])))
);


--
-- Name: wallet_spends; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.wallet_spends (
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    txid text NOT NULL COLLATE pg_catalog."C",
    idx bigint NOT NULL,
    spent_by text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: wallets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.wallets (
    id text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    customer_id text NOT NULL COLLATE pg_catalog."C",
    asset text NOT NULL COLLATE pg_catalog."C",
    currency text NOT NULL COLLATE pg_catalog."C",
    network text NOT NULL COLLATE pg_catalog."C",
    address text NOT NULL COLLATE pg_catalog."C",
    idx bigint NOT NULL,
    label text NOT NULL,
    metadata json,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT wallets_idx_check CHECK ((idx >= 0)),
    CONSTRAINT wallets_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text])))
);


--
-- Name: watched_addresses; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.watched_addresses (
    network text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    address text NOT NULL COLLATE pg_catalog."C",
    invoice_id text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: webhook_attempts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_attempts (
    delivery_id text NOT NULL COLLATE pg_catalog."C",
    n integer NOT NULL,
    at timestamp with time zone NOT NULL,
    status_code integer NOT NULL,
    latency_us bigint NOT NULL,
    error text NOT NULL COLLATE pg_catalog."C",
    response text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: webhook_callback_secrets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_callback_secrets (
    mode text NOT NULL COLLATE pg_catalog."C",
    secret bytea NOT NULL
);


--
-- Name: webhook_deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_deliveries (
    id text NOT NULL COLLATE pg_catalog."C",
    event_id text NOT NULL COLLATE pg_catalog."C",
    target text NOT NULL COLLATE pg_catalog."C",
    url text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    status text NOT NULL COLLATE pg_catalog."C",
    attempts integer NOT NULL,
    next_at timestamp with time zone NOT NULL,
    claimed_until timestamp with time zone,
    last_error text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT webhook_deliveries_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'succeeded'::text, 'failed'::text])))
);


--
-- Name: webhook_endpoints; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_endpoints (
    id text NOT NULL COLLATE pg_catalog."C",
    mode text NOT NULL COLLATE pg_catalog."C",
    url text NOT NULL COLLATE pg_catalog."C",
    description text NOT NULL COLLATE pg_catalog."C",
    events json NOT NULL,
    enabled boolean NOT NULL,
    disabled_reason text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    secret bytea NOT NULL,
    old_secret bytea,
    old_until timestamp with time zone,
    failing_since timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT webhook_endpoints_mode_check CHECK ((mode = ANY (ARRAY['live'::text, 'test'::text])))
);


--
-- Data for Name: api_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.api_keys VALUES ('key_7xfwq44cvelm4frdrph5', 'test', 'fixture', 'sk_test_77yd', '\x1b24968b7a9b7cbd366912f859d02d9a33927173b53c9d60fd67ec7d0bdcc32c', '\x977ec51d72b64ab74fa59667f2899647390ee7269054dc9103e3c7531b6e638e3cdf6d45bffb55f169b2056bda04c4ff515f8f4c3e865373c815af7c4be844441874874b1b664883a1ad49f9', 'null', 0, '2026-03-01 12:00:00+00', NULL);


--
-- Data for Name: chain_blocks; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.chain_blocks VALUES ('bitcoin', 'test', 0, '73247c6e38580626ddaa90534ef8514ae01d4e50498d58a627bd591588a0cb2e');
INSERT INTO public.chain_blocks VALUES ('litecoin', 'test', 0, '6681fca9b69b256b39b2dd1674aa15a32dcaeb7dd9b2cd1c6eaf58cbe7a039ba');
INSERT INTO public.chain_blocks VALUES ('ethereum', 'test', 0, '33533cc5507f1405190a8163c2e9d8dbaf2ed6d0b3c4a07f92756d2f2222b471');
INSERT INTO public.chain_blocks VALUES ('bsc', 'test', 0, 'c22dfea531487a1ae6ec906689c22c0c19ba6fe71cb89d857eac7f842e66643d');
INSERT INTO public.chain_blocks VALUES ('polygon', 'test', 0, 'a5b8bcd462e789647621b04d4ac0837045cbc78ea23e2c0bb1956f12d60e9a44');
INSERT INTO public.chain_blocks VALUES ('base', 'test', 0, 'cde650db38e332c54d12b3665b516546d8ca4497e300f12d0eb7c19f2e114156');
INSERT INTO public.chain_blocks VALUES ('tron', 'test', 0, '8aa8a1a9ca1a8261e756302f533d433d3cdd4ca7170295928423116b7d0e5985');
INSERT INTO public.chain_blocks VALUES ('bitcoin', 'test', 1, 'ca0607ca4bca622536eaf17992ef1729ae319c8b48740980c900d03f279b5e5b');
INSERT INTO public.chain_blocks VALUES ('bitcoin', 'test', 2, '1a41cf6fb2d7e6b7cb492ffe810acf79b4c2b451ff7004cbf5ca2b18ed0a574e');
INSERT INTO public.chain_blocks VALUES ('bitcoin', 'test', 3, 'a58ae6d83d9d4d7f385613d2ccbef5787423a7c0ac694bdcc5eefab636cba884');


--
-- Data for Name: chain_cursors; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.chain_cursors VALUES ('litecoin', 'test', 0, '6681fca9b69b256b39b2dd1674aa15a32dcaeb7dd9b2cd1c6eaf58cbe7a039ba');
INSERT INTO public.chain_cursors VALUES ('ethereum', 'test', 0, '33533cc5507f1405190a8163c2e9d8dbaf2ed6d0b3c4a07f92756d2f2222b471');
INSERT INTO public.chain_cursors VALUES ('bsc', 'test', 0, 'c22dfea531487a1ae6ec906689c22c0c19ba6fe71cb89d857eac7f842e66643d');
INSERT INTO public.chain_cursors VALUES ('polygon', 'test', 0, 'a5b8bcd462e789647621b04d4ac0837045cbc78ea23e2c0bb1956f12d60e9a44');
INSERT INTO public.chain_cursors VALUES ('base', 'test', 0, 'cde650db38e332c54d12b3665b516546d8ca4497e300f12d0eb7c19f2e114156');
INSERT INTO public.chain_cursors VALUES ('tron', 'test', 0, '8aa8a1a9ca1a8261e756302f533d433d3cdd4ca7170295928423116b7d0e5985');
INSERT INTO public.chain_cursors VALUES ('bitcoin', 'test', 3, 'a58ae6d83d9d4d7f385613d2ccbef5787423a7c0ac694bdcc5eefab636cba884');


--
-- Data for Name: chain_followed; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.chain_followed VALUES ('bitcoin', 'test', '6993e09182caf7c57cdfc07d37ef9e9005f4de5eb90757af5ff0db7a589868cc', 'null', '2026-03-02 12:00:00+00');
INSERT INTO public.chain_followed VALUES ('bitcoin', 'test', 'f491c7d981f58ea17f4fc7373c50b47fc8ac36c7e875c1927242abfe920b0fcc', 'null', '2026-03-02 12:00:00+00');


--
-- Data for Name: chain_journal; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (1, 'bitcoin', 'test', '\x7b226f70223a22616464222c226f757473223a5b7b224173736574223a22425443222c22546f223a227462317136727a32386d63666178746d6436763738396c3972726c727573647072723970716370766b6c222c22416d6f756e74223a313030303030307d5d7d');
INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (2, 'bitcoin', 'test', '\x7b226f70223a226d696e65227d');
INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (3, 'bitcoin', 'test', '\x7b226f70223a22616464222c226f757473223a5b7b224173736574223a22425443222c22546f223a22746231713637373937336c77307737393667747470793532663239366a7161616b737a30353535706732222c22416d6f756e74223a353030303030307d5d7d');
INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (4, 'bitcoin', 'test', '\x7b226f70223a226d696e65227d');
INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (5, 'bitcoin', 'test', '\x7b226f70223a22616464222c226f757473223a5b7b224173736574223a22425443222c22546f223a2274623171647a303837677239727468647a3075753570656b6a7563376164613836643935666d68646830222c22416d6f756e74223a3139393030307d5d7d');
INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (6, 'bitcoin', 'test', '\x7b226f70223a2273656e74222c226964223a22706f5f707265366c75796d6b3273616772753364366d73222c2274786964223a2236393933653039313832636166376335376364666330376433376566396539303035663464653565623930373537616635666630646237613538393836386363222c22666565223a313030307d');
INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (7, 'bitcoin', 'test', '\x7b226f70223a22616464222c226f757473223a5b7b224173736574223a22425443222c22546f223a227462317175726734793535647076357a38307968676d6a7171366777383367756a74357267357a723371222c22416d6f756e74223a39393030307d5d7d');
INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (8, 'bitcoin', 'test', '\x7b226f70223a2273656e74222c226964223a22706f5f666e6c64616d346a7a6776766a6766336e786168222c2274786964223a2266343931633764393831663538656131376634666337333733633530623437666338616333366337653837356331393237323432616266653932306230666363222c22666565223a313030307d');
INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (9, 'bitcoin', 'test', '\x7b226f70223a22616464222c226f757473223a5b7b224173736574223a22425443222c22546f223a2274623171667372796e36686832796870787070376d39646835347838397765747479666b34356a6e3679222c22416d6f756e74223a3530303030307d5d7d');
INSERT INTO public.chain_journal OVERRIDING SYSTEM VALUE VALUES (10, 'bitcoin', 'test', '\x7b226f70223a226d696e65227d');


--
-- Data for Name: chain_transfers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.chain_transfers VALUES ('bitcoin', 'test', 'a72f7e1e96e9121315a0139949d685f05f060b96cebb19be725d83f3ffb95eb0', 0, 'tx_ds6e5sinji6s2xmkgs3d', 'BTC', 'tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl', 1000000, 1, 'ca0607ca4bca622536eaf17992ef1729ae319c8b48740980c900d03f279b5e5b', 'confirmed', 1, 1, '2026-03-01 12:00:00+00', 'available', 2, false, false, '', '', false);
INSERT INTO public.chain_transfers VALUES ('bitcoin', 'test', 'f73d7eb46e63fc61b9f55eac8e3677d00fc0e488167ae14253fd0e66a24ceb5c', 0, 'tx_xo4znzvdf4keiz3gnxfs', 'BTC', 'tb1q677973lw0w796gttpy52f296jqaaksz0555pg2', 5000000, 2, '1a41cf6fb2d7e6b7cb492ffe810acf79b4c2b451ff7004cbf5ca2b18ed0a574e', 'confirmed', 1, 1, '2026-03-01 12:00:00+00', 'available', 1, false, false, '', '', false);
INSERT INTO public.chain_transfers VALUES ('bitcoin', 'test', '6993e09182caf7c57cdfc07d37ef9e9005f4de5eb90757af5ff0db7a589868cc', 4294967294, 'tx_3zxci3k4ayfeazmnufrb', 'BTC', '', 1000, 3, 'a58ae6d83d9d4d7f385613d2ccbef5787423a7c0ac694bdcc5eefab636cba884', 'confirmed', 1, 1, '2026-03-01 12:00:00+00', 'none', 0, true, false, '', '', false);
INSERT INTO public.chain_transfers VALUES ('bitcoin', 'test', 'f491c7d981f58ea17f4fc7373c50b47fc8ac36c7e875c1927242abfe920b0fcc', 4294967294, 'tx_fq5aazzw7h3uzzvc7uqa', 'BTC', '', 1000, 3, 'a58ae6d83d9d4d7f385613d2ccbef5787423a7c0ac694bdcc5eefab636cba884', 'confirmed', 1, 1, '2026-03-01 12:00:00+00', 'none', 0, true, false, '', '', false);
INSERT INTO public.chain_transfers VALUES ('bitcoin', 'test', 'ec254ae5157019e5236f970f701b9ab4723e3f1a29239f62bf4463b4606afa97', 0, 'tx_ymxsdaggtffm2m4bziqe', 'BTC', 'tb1qfsryn6hh2yhpxpp7m9dh54x89wettyfk45jn6y', 500000, 3, 'a58ae6d83d9d4d7f385613d2ccbef5787423a7c0ac694bdcc5eefab636cba884', 'confirmed', 1, 1, '2026-03-01 12:00:00+00', 'available', 1, false, false, '', '', false);


--
-- Data for Name: customers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.customers VALUES ('cus_qxuperbcgb6ywm7eecxm', 'test', 'crm-1', 'Ada', 'ada@example.com', '', '', NULL, '2026-03-01 12:00:00+00', '2026-03-01 12:00:00+00');


--
-- Data for Name: event_subscribers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.event_subscribers VALUES ('sub:kassatest', 19);
INSERT INTO public.event_subscribers VALUES ('webhooks', 19);


--
-- Data for Name: events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (1, 'evt_glztlvq43ptz6elvbztf', 'invoice.created', 'test', 'inv_dwskrc6hlynp4a5ukm4v', '2026-03-01 12:00:00+00', '{"id":"inv_dwskrc6hlynp4a5ukm4v","kind":"invoice","mode":"test","status":"pending","amount":"0.01","currency":"BTC","amount_due":"0.01","order_id":"fx-1","customer_id":"cus_qxuperbcgb6ywm7eecxm","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl","family":"btc","precision":8,"address_index":0,"rate":"1","rate_source":"par","amount_due":"0.01","amount_paid":"0","amount_confirmed":"0","confirmations_required":1}],"amount_paid":"0","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[],"payments_total":0}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (2, 'evt_p3puozw55wkseqg7s6dj', 'invoice.payment_detected', 'test', 'inv_dwskrc6hlynp4a5ukm4v', '2026-03-01 12:00:00+00', '{"id":"inv_dwskrc6hlynp4a5ukm4v","kind":"invoice","mode":"test","status":"confirming","amount":"0.01","currency":"BTC","amount_due":"0.01","order_id":"fx-1","customer_id":"cus_qxuperbcgb6ywm7eecxm","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl","family":"btc","precision":8,"address_index":0,"rate":"1","rate_source":"par","amount_due":"0.01","amount_paid":"0.01","amount_confirmed":"0","confirmations_required":1}],"amount_paid":"0.01","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[{"tx_hash":"a72f7e1e96e9121315a0139949d685f05f060b96cebb19be725d83f3ffb95eb0","index":0,"code":"BTC","network":"bitcoin","amount":"0.01","status":"mempool","confirmations":0,"confirmations_required":1,"seen_at":"2026-03-01T12:00:00Z"}],"payments_total":1}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (3, 'evt_q5lbnvgl3prapowvjij6', 'invoice.confirming', 'test', 'inv_dwskrc6hlynp4a5ukm4v', '2026-03-01 12:00:00+00', '{"id":"inv_dwskrc6hlynp4a5ukm4v","kind":"invoice","mode":"test","status":"confirming","amount":"0.01","currency":"BTC","amount_due":"0.01","order_id":"fx-1","customer_id":"cus_qxuperbcgb6ywm7eecxm","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl","family":"btc","precision":8,"address_index":0,"rate":"1","rate_source":"par","amount_due":"0.01","amount_paid":"0.01","amount_confirmed":"0","confirmations_required":1}],"amount_paid":"0.01","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[{"tx_hash":"a72f7e1e96e9121315a0139949d685f05f060b96cebb19be725d83f3ffb95eb0","index":0,"code":"BTC","network":"bitcoin","amount":"0.01","status":"mempool","confirmations":0,"confirmations_required":1,"seen_at":"2026-03-01T12:00:00Z"}],"payments_total":1}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (4, 'evt_togqvzro72ecvs3wxqtg', 'invoice.paid', 'test', 'inv_dwskrc6hlynp4a5ukm4v', '2026-03-01 12:00:00+00', '{"id":"inv_dwskrc6hlynp4a5ukm4v","kind":"invoice","mode":"test","status":"paid","amount":"0.01","currency":"BTC","amount_due":"0.01","order_id":"fx-1","customer_id":"cus_qxuperbcgb6ywm7eecxm","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl","family":"btc","precision":8,"address_index":0,"rate":"1","rate_source":"par","amount_due":"0.01","amount_paid":"0.01","amount_confirmed":"0.01","confirmations_required":1}],"amount_paid":"0.01","amount_confirmed":"0.01","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","paid_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[{"tx_hash":"a72f7e1e96e9121315a0139949d685f05f060b96cebb19be725d83f3ffb95eb0","index":0,"code":"BTC","network":"bitcoin","amount":"0.01","status":"confirmed","confirmations":1,"confirmations_required":1,"block_height":1,"seen_at":"2026-03-01T12:00:00Z"}],"payments_total":1}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (5, 'evt_kusipocr3dj7xcgqdy7t', 'invoice.created', 'test', 'inv_26r7ieapupbzfidxoesn', '2026-03-01 12:00:00+00', '{"id":"inv_26r7ieapupbzfidxoesn","kind":"invoice","mode":"test","status":"pending","amount":"25","currency":"USD","amount_due":"25","order_id":"fx-2","customer_id":"","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1qd7spv5q28348xl4myc8zmh983w5jx32cjhkn97","family":"btc","precision":8,"address_index":1,"rate":"65000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.00038462","amount_paid":"0","amount_confirmed":"0","confirmations_required":1},{"code":"LTC","currency":"LTC","network":"litecoin","address":"tltc1q6rz28mcfaxtmd6v789l9rrlrusdprr9pesrjxk","family":"ltc","precision":8,"address_index":0,"rate":"80","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.3125","amount_paid":"0","amount_confirmed":"0","confirmations_required":6},{"code":"ETH","currency":"ETH","network":"ethereum","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"3000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.008333333333333334","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"LINK_ETHEREUM","currency":"LINK","network":"ethereum","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"15","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"1.666666666666666667","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDT_ETHEREUM","currency":"USDT","network":"ethereum","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDC_ETHEREUM","currency":"USDC","network":"ethereum","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"BNB","currency":"BNB","network":"bsc","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"600","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.041666666666666667","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDT_BSC","currency":"USDT","network":"bsc","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDC_BSC","currency":"USDC","network":"bsc","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"POL","currency":"POL","network":"polygon","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"0.5","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"50","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDT_POLYGON","currency":"USDT","network":"polygon","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDC_POLYGON","currency":"USDC","network":"polygon","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"ETH_BASE","currency":"ETH","network":"base","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"3000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.008333333333333334","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"USDC_BASE","currency":"USDC","network":"base","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"TRX","currency":"TRX","network":"tron","address":"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH","family":"tron","precision":6,"address_index":0,"rate":"0.125","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"200","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDT_TRON","currency":"USDT","network":"tron","address":"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH","family":"tron","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDC_TRON","currency":"USDC","network":"tron","address":"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH","family":"tron","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":19}],"amount_paid":"0","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[],"payments_total":0}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (6, 'evt_obxbgt5h7qqpk42yo7so', 'invoice.created', 'test', 'chk_fs3yncsbk4awfnr7lgyx', '2026-03-01 12:00:00+00', '{"id":"chk_fs3yncsbk4awfnr7lgyx","kind":"checkout_session","mode":"test","status":"pending","amount":"10","currency":"USD","amount_due":"10","customer_id":"","description":"Tee","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8sll0ct","family":"btc","precision":8,"address_index":2,"rate":"65000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.00015385","amount_paid":"0","amount_confirmed":"0","confirmations_required":1},{"code":"LTC","currency":"LTC","network":"litecoin","address":"tltc1qd7spv5q28348xl4myc8zmh983w5jx32ctl5d4h","family":"ltc","precision":8,"address_index":1,"rate":"80","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.125","amount_paid":"0","amount_confirmed":"0","confirmations_required":6},{"code":"ETH","currency":"ETH","network":"ethereum","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"3000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.003333333333333334","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"LINK_ETHEREUM","currency":"LINK","network":"ethereum","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"15","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.666666666666666667","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDT_ETHEREUM","currency":"USDT","network":"ethereum","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDC_ETHEREUM","currency":"USDC","network":"ethereum","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"BNB","currency":"BNB","network":"bsc","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"600","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.016666666666666667","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDT_BSC","currency":"USDT","network":"bsc","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDC_BSC","currency":"USDC","network":"bsc","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"POL","currency":"POL","network":"polygon","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"0.5","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"20","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDT_POLYGON","currency":"USDT","network":"polygon","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDC_POLYGON","currency":"USDC","network":"polygon","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"ETH_BASE","currency":"ETH","network":"base","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"3000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.003333333333333334","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"USDC_BASE","currency":"USDC","network":"base","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"TRX","currency":"TRX","network":"tron","address":"TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK","family":"tron","precision":6,"address_index":1,"rate":"0.125","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"80","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDT_TRON","currency":"USDT","network":"tron","address":"TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK","family":"tron","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDC_TRON","currency":"USDC","network":"tron","address":"TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK","family":"tron","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":19}],"amount_paid":"0","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[],"payments_total":0}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (16, 'evt_vgsjnfqtga2m2ybwcxhp', 'wallet.deposit.completed', 'test', 'wal_mxtpoxua3gc4omv5d4qz', '2026-03-01 12:00:00+00', '{"wallet_id":"wal_mxtpoxua3gc4omv5d4qz","customer_id":"cus_qxuperbcgb6ywm7eecxm","asset":"BTC","currency":"BTC","network":"bitcoin","amount":"0.005","tx_hash":"ec254ae5157019e5236f970f701b9ab4723e3f1a29239f62bf4463b4606afa97","output_index":0,"status":"confirmed","confirmations":1,"new_balance":"0.005","new_pending_balance":"0"}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (7, 'evt_yldryq4tkkainstukbf7', 'invoice.created', 'test', 'pay_24qrq6zhn5jhshd66cxz', '2026-03-01 12:00:00+00', '{"id":"pay_24qrq6zhn5jhshd66cxz","kind":"payment","mode":"test","status":"pending","amount":"5","currency":"EUR","amount_due":"5","customer_id":"","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1qynpgs6wap6h9uvy7j0xlesew2w82qn038zm5km","family":"btc","precision":8,"address_index":3,"rate":"60185.185185185185185185","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.00008308","amount_paid":"0","amount_confirmed":"0","confirmations_required":1},{"code":"LTC","currency":"LTC","network":"litecoin","address":"tltc1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8fha3gz","family":"ltc","precision":8,"address_index":2,"rate":"74.074074074074074074","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.06750001","amount_paid":"0","amount_confirmed":"0","confirmations_required":6},{"code":"ETH","currency":"ETH","network":"ethereum","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"2777.777777777777777778","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.0018","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"LINK_ETHEREUM","currency":"LINK","network":"ethereum","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"13.888888888888888889","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.36","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDT_ETHEREUM","currency":"USDT","network":"ethereum","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDC_ETHEREUM","currency":"USDC","network":"ethereum","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"BNB","currency":"BNB","network":"bsc","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"555.555555555555555556","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.009","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDT_BSC","currency":"USDT","network":"bsc","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDC_BSC","currency":"USDC","network":"bsc","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"POL","currency":"POL","network":"polygon","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"0.462962962962962963","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"10.8","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDT_POLYGON","currency":"USDT","network":"polygon","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDC_POLYGON","currency":"USDC","network":"polygon","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"ETH_BASE","currency":"ETH","network":"base","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"2777.777777777777777778","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.0018","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"USDC_BASE","currency":"USDC","network":"base","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"TRX","currency":"TRX","network":"tron","address":"TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx","family":"tron","precision":6,"address_index":2,"rate":"0.115740740740740741","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"43.2","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDT_TRON","currency":"USDT","network":"tron","address":"TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx","family":"tron","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDC_TRON","currency":"USDC","network":"tron","address":"TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx","family":"tron","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":19}],"amount_paid":"0","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[],"payments_total":0}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (8, 'evt_em3ymjhgybzjsfv22hqo', 'invoice.created', 'test', 'inv_rz5syg756xacwxrehslk', '2026-03-01 12:00:00+00', '{"id":"inv_rz5syg756xacwxrehslk","kind":"invoice","mode":"test","status":"pending","amount":"0.05","currency":"BTC","amount_due":"0.05","customer_id":"","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1q677973lw0w796gttpy52f296jqaaksz0555pg2","family":"btc","precision":8,"address_index":4,"rate":"1","rate_source":"par","amount_due":"0.05","amount_paid":"0","amount_confirmed":"0","confirmations_required":1}],"amount_paid":"0","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[],"payments_total":0}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (9, 'evt_3pha2pc7gmndxwj5of5h', 'invoice.payment_detected', 'test', 'inv_rz5syg756xacwxrehslk', '2026-03-01 12:00:00+00', '{"id":"inv_rz5syg756xacwxrehslk","kind":"invoice","mode":"test","status":"paid","amount":"0.05","currency":"BTC","amount_due":"0.05","customer_id":"","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1q677973lw0w796gttpy52f296jqaaksz0555pg2","family":"btc","precision":8,"address_index":4,"rate":"1","rate_source":"par","amount_due":"0.05","amount_paid":"0.05","amount_confirmed":"0.05","confirmations_required":1}],"amount_paid":"0.05","amount_confirmed":"0.05","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","paid_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[{"tx_hash":"f73d7eb46e63fc61b9f55eac8e3677d00fc0e488167ae14253fd0e66a24ceb5c","index":0,"code":"BTC","network":"bitcoin","amount":"0.05","status":"confirmed","confirmations":1,"confirmations_required":1,"block_height":2,"seen_at":"2026-03-01T12:00:00Z"}],"payments_total":1}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (10, 'evt_chutib2of56btvm4h5ic', 'invoice.paid', 'test', 'inv_rz5syg756xacwxrehslk', '2026-03-01 12:00:00+00', '{"id":"inv_rz5syg756xacwxrehslk","kind":"invoice","mode":"test","status":"paid","amount":"0.05","currency":"BTC","amount_due":"0.05","customer_id":"","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1q677973lw0w796gttpy52f296jqaaksz0555pg2","family":"btc","precision":8,"address_index":4,"rate":"1","rate_source":"par","amount_due":"0.05","amount_paid":"0.05","amount_confirmed":"0.05","confirmations_required":1}],"amount_paid":"0.05","amount_confirmed":"0.05","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","paid_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","payments":[{"tx_hash":"f73d7eb46e63fc61b9f55eac8e3677d00fc0e488167ae14253fd0e66a24ceb5c","index":0,"code":"BTC","network":"bitcoin","amount":"0.05","status":"confirmed","confirmations":1,"confirmations_required":1,"block_height":2,"seen_at":"2026-03-01T12:00:00Z"}],"payments_total":1}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (11, 'evt_seevfnasicl5yzj743o2', 'payout.created', 'test', 'po_pre6luymk2sagru3d6ms', '2026-03-01 12:00:00+00', '{"payout_id":"po_pre6luymk2sagru3d6ms","status":"processing","code":"BTC","currency":"BTC","network":"bitcoin","destination_address":"tb1qdz087gr9rthdz0uu5pekjuc7ada86d95fmhdh0","amount":"0.002","service_fee":"0","estimated_fee":"0.00001","fee_currency":"BTC","net_amount":"0.00199","fee":null,"value_usd":"130","approval":"automatic","customer_id":"","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z"}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (12, 'evt_sjcwr5vqvdmmcl3iajzq', 'payout.broadcast', 'test', 'po_pre6luymk2sagru3d6ms', '2026-03-01 12:00:00+00', '{"payout_id":"po_pre6luymk2sagru3d6ms","status":"broadcast","code":"BTC","currency":"BTC","network":"bitcoin","destination_address":"tb1qdz087gr9rthdz0uu5pekjuc7ada86d95fmhdh0","amount":"0.002","service_fee":"0","estimated_fee":"0.00001","fee_currency":"BTC","net_amount":"0.00199","fee":"0.00001","tx_hash":"6993e09182caf7c57cdfc07d37ef9e9005f4de5eb90757af5ff0db7a589868cc","value_usd":"130","approval":"automatic","customer_id":"","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z"}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (13, 'evt_eufoyefsn7we5k76s3hn', 'payout.created', 'test', 'po_fnldam4jzgvvjgf3nxah', '2026-03-01 12:00:00+00', '{"payout_id":"po_fnldam4jzgvvjgf3nxah","status":"processing","code":"BTC","currency":"BTC","network":"bitcoin","destination_address":"tb1qurg4y55dpv5z80yhgmjqq6gw83gujt5rg5zr3q","amount":"0.001","service_fee":"0","estimated_fee":"0.00001","fee_currency":"BTC","net_amount":"0.00099","fee":null,"value_usd":"65","approval":"automatic","customer_id":"cus_qxuperbcgb6ywm7eecxm","refund_id":"re_k4l3obbxfmhhdzngbpza","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z"}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (14, 'evt_l5pvaesho2w7zbqlr574', 'refund.created', 'test', 're_k4l3obbxfmhhdzngbpza', '2026-03-01 12:00:00+00', '{"id":"re_k4l3obbxfmhhdzngbpza","object":"refund","livemode":false,"invoice_id":"inv_dwskrc6hlynp4a5ukm4v","status":"processing","amount":"0.001","currency":"BTC","rate":"invoice","fee_payer":"customer","refund_code":"BTC","refund_currency":"BTC","refund_network":"bitcoin","refund_amount":"0.001","amount_received":"0.00099","estimated_fee":"0.00001","network_fee":null,"fee_currency":"BTC","destination_address":"tb1qurg4y55dpv5z80yhgmjqq6gw83gujt5rg5zr3q","payout_id":"po_fnldam4jzgvvjgf3nxah","tx_hash":null,"metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z"}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (15, 'evt_myudhkma7x5squtwfis2', 'payout.broadcast', 'test', 'po_fnldam4jzgvvjgf3nxah', '2026-03-01 12:00:00+00', '{"payout_id":"po_fnldam4jzgvvjgf3nxah","status":"broadcast","code":"BTC","currency":"BTC","network":"bitcoin","destination_address":"tb1qurg4y55dpv5z80yhgmjqq6gw83gujt5rg5zr3q","amount":"0.001","service_fee":"0","estimated_fee":"0.00001","fee_currency":"BTC","net_amount":"0.00099","fee":"0.00001","tx_hash":"f491c7d981f58ea17f4fc7373c50b47fc8ac36c7e875c1927242abfe920b0fcc","value_usd":"65","approval":"automatic","customer_id":"cus_qxuperbcgb6ywm7eecxm","refund_id":"re_k4l3obbxfmhhdzngbpza","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z"}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (17, 'evt_gzfccl4j3kaint2a4chl', 'payout.completed', 'test', 'po_pre6luymk2sagru3d6ms', '2026-03-01 12:00:00+00', '{"payout_id":"po_pre6luymk2sagru3d6ms","status":"completed","code":"BTC","currency":"BTC","network":"bitcoin","destination_address":"tb1qdz087gr9rthdz0uu5pekjuc7ada86d95fmhdh0","amount":"0.002","service_fee":"0","estimated_fee":"0.00001","fee_currency":"BTC","net_amount":"0.00199","fee":"0.00001","tx_hash":"6993e09182caf7c57cdfc07d37ef9e9005f4de5eb90757af5ff0db7a589868cc","value_usd":"130","approval":"automatic","customer_id":"","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","completed_at":"2026-03-01T12:00:00Z"}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (18, 'evt_nlquyrdp33nqhqknosnm', 'refund.succeeded', 'test', 're_k4l3obbxfmhhdzngbpza', '2026-03-01 12:00:00+00', '{"id":"re_k4l3obbxfmhhdzngbpza","object":"refund","livemode":false,"invoice_id":"inv_dwskrc6hlynp4a5ukm4v","status":"succeeded","amount":"0.001","currency":"BTC","rate":"invoice","fee_payer":"customer","refund_code":"BTC","refund_currency":"BTC","refund_network":"bitcoin","refund_amount":"0.001","amount_received":"0.00099","estimated_fee":"0.00001","network_fee":"0.00001","fee_currency":"BTC","destination_address":"tb1qurg4y55dpv5z80yhgmjqq6gw83gujt5rg5zr3q","payout_id":"po_fnldam4jzgvvjgf3nxah","tx_hash":"f491c7d981f58ea17f4fc7373c50b47fc8ac36c7e875c1927242abfe920b0fcc","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","succeeded_at":"2026-03-01T12:00:00Z"}');
INSERT INTO public.events OVERRIDING SYSTEM VALUE VALUES (19, 'evt_yc2h2fdvv5syfcoic4ko', 'payout.completed', 'test', 'po_fnldam4jzgvvjgf3nxah', '2026-03-01 12:00:00+00', '{"payout_id":"po_fnldam4jzgvvjgf3nxah","status":"completed","code":"BTC","currency":"BTC","network":"bitcoin","destination_address":"tb1qurg4y55dpv5z80yhgmjqq6gw83gujt5rg5zr3q","amount":"0.001","service_fee":"0","estimated_fee":"0.00001","fee_currency":"BTC","net_amount":"0.00099","fee":"0.00001","tx_hash":"f491c7d981f58ea17f4fc7373c50b47fc8ac36c7e875c1927242abfe920b0fcc","value_usd":"65","approval":"automatic","customer_id":"cus_qxuperbcgb6ywm7eecxm","refund_id":"re_k4l3obbxfmhhdzngbpza","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","completed_at":"2026-03-01T12:00:00Z"}');


--
-- Data for Name: evm_nonces; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: evm_sends; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: idempotency; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: invoice_methods; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.invoice_methods VALUES ('inv_dwskrc6hlynp4a5ukm4v', 0, 'bitcoin', 'test', 'BTC', 'tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 0, 'bitcoin', 'test', 'BTC', 'tb1qd7spv5q28348xl4myc8zmh983w5jx32cjhkn97');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 1, 'litecoin', 'test', 'LTC', 'tltc1q6rz28mcfaxtmd6v789l9rrlrusdprr9pesrjxk');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 2, 'ethereum', 'test', 'ETH', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 3, 'ethereum', 'test', 'LINK_ETHEREUM', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 4, 'ethereum', 'test', 'USDT_ETHEREUM', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 5, 'ethereum', 'test', 'USDC_ETHEREUM', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 6, 'bsc', 'test', 'BNB', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 7, 'bsc', 'test', 'USDT_BSC', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 8, 'bsc', 'test', 'USDC_BSC', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 9, 'polygon', 'test', 'POL', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 10, 'polygon', 'test', 'USDT_POLYGON', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 11, 'polygon', 'test', 'USDC_POLYGON', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 12, 'base', 'test', 'ETH_BASE', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 13, 'base', 'test', 'USDC_BASE', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 14, 'tron', 'test', 'TRX', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 15, 'tron', 'test', 'USDT_TRON', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH');
INSERT INTO public.invoice_methods VALUES ('inv_26r7ieapupbzfidxoesn', 16, 'tron', 'test', 'USDC_TRON', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 0, 'bitcoin', 'test', 'BTC', 'tb1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8sll0ct');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 1, 'litecoin', 'test', 'LTC', 'tltc1qd7spv5q28348xl4myc8zmh983w5jx32ctl5d4h');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 2, 'ethereum', 'test', 'ETH', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 3, 'ethereum', 'test', 'LINK_ETHEREUM', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 4, 'ethereum', 'test', 'USDT_ETHEREUM', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 5, 'ethereum', 'test', 'USDC_ETHEREUM', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 6, 'bsc', 'test', 'BNB', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 7, 'bsc', 'test', 'USDT_BSC', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 8, 'bsc', 'test', 'USDC_BSC', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 9, 'polygon', 'test', 'POL', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 10, 'polygon', 'test', 'USDT_POLYGON', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 11, 'polygon', 'test', 'USDC_POLYGON', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 12, 'base', 'test', 'ETH_BASE', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 13, 'base', 'test', 'USDC_BASE', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 14, 'tron', 'test', 'TRX', 'TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 15, 'tron', 'test', 'USDT_TRON', 'TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK');
INSERT INTO public.invoice_methods VALUES ('chk_fs3yncsbk4awfnr7lgyx', 16, 'tron', 'test', 'USDC_TRON', 'TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 0, 'bitcoin', 'test', 'BTC', 'tb1qynpgs6wap6h9uvy7j0xlesew2w82qn038zm5km');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 1, 'litecoin', 'test', 'LTC', 'tltc1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8fha3gz');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 2, 'ethereum', 'test', 'ETH', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 3, 'ethereum', 'test', 'LINK_ETHEREUM', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 4, 'ethereum', 'test', 'USDT_ETHEREUM', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 5, 'ethereum', 'test', 'USDC_ETHEREUM', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 6, 'bsc', 'test', 'BNB', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 7, 'bsc', 'test', 'USDT_BSC', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 8, 'bsc', 'test', 'USDC_BSC', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 9, 'polygon', 'test', 'POL', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 10, 'polygon', 'test', 'USDT_POLYGON', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 11, 'polygon', 'test', 'USDC_POLYGON', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 12, 'base', 'test', 'ETH_BASE', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 13, 'base', 'test', 'USDC_BASE', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 14, 'tron', 'test', 'TRX', 'TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 15, 'tron', 'test', 'USDT_TRON', 'TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx');
INSERT INTO public.invoice_methods VALUES ('pay_24qrq6zhn5jhshd66cxz', 16, 'tron', 'test', 'USDC_TRON', 'TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx');
INSERT INTO public.invoice_methods VALUES ('inv_rz5syg756xacwxrehslk', 0, 'bitcoin', 'test', 'BTC', 'tb1q677973lw0w796gttpy52f296jqaaksz0555pg2');


--
-- Data for Name: invoices; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.invoices VALUES ('inv_26r7ieapupbzfidxoesn', 'test', 'invoice', 'pending', 'fx-2', '', '2026-03-01 12:00:00+00', '2026-03-01 13:00:00+00', '2026-03-02 13:00:00+00', true, '{"id":"inv_26r7ieapupbzfidxoesn","kind":"invoice","mode":"test","status":"pending","amount":"25","currency":"USD","amount_due":"25","order_id":"fx-2","customer_id":"","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1qd7spv5q28348xl4myc8zmh983w5jx32cjhkn97","family":"btc","precision":8,"address_index":1,"rate":"65000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.00038462","amount_paid":"0","amount_confirmed":"0","confirmations_required":1},{"code":"LTC","currency":"LTC","network":"litecoin","address":"tltc1q6rz28mcfaxtmd6v789l9rrlrusdprr9pesrjxk","family":"ltc","precision":8,"address_index":0,"rate":"80","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.3125","amount_paid":"0","amount_confirmed":"0","confirmations_required":6},{"code":"ETH","currency":"ETH","network":"ethereum","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"3000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.008333333333333334","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"LINK_ETHEREUM","currency":"LINK","network":"ethereum","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"15","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"1.666666666666666667","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDT_ETHEREUM","currency":"USDT","network":"ethereum","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDC_ETHEREUM","currency":"USDC","network":"ethereum","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"BNB","currency":"BNB","network":"bsc","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"600","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.041666666666666667","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDT_BSC","currency":"USDT","network":"bsc","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDC_BSC","currency":"USDC","network":"bsc","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"POL","currency":"POL","network":"polygon","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"0.5","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"50","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDT_POLYGON","currency":"USDT","network":"polygon","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDC_POLYGON","currency":"USDC","network":"polygon","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"ETH_BASE","currency":"ETH","network":"base","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":18,"address_index":0,"rate":"3000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.008333333333333334","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"USDC_BASE","currency":"USDC","network":"base","address":"0x9858EfFD232B4033E47d90003D41EC34EcaEda94","family":"evm","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"TRX","currency":"TRX","network":"tron","address":"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH","family":"tron","precision":6,"address_index":0,"rate":"0.125","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"200","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDT_TRON","currency":"USDT","network":"tron","address":"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH","family":"tron","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDC_TRON","currency":"USDC","network":"tron","address":"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH","family":"tron","precision":6,"address_index":0,"rate":"1","rate_source":"par","amount_due":"25","amount_paid":"0","amount_confirmed":"0","confirmations_required":19}],"amount_paid":"0","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z"}', '', 'bf151f80db3a8f66f0da5c5ab3df95d05bd61d1b9aba4d93c79702a04fde68a4');
INSERT INTO public.invoices VALUES ('chk_fs3yncsbk4awfnr7lgyx', 'test', 'checkout_session', 'pending', NULL, '', '2026-03-01 12:00:00+00', '2026-03-01 13:00:00+00', '2026-03-02 13:00:00+00', true, '{"id":"chk_fs3yncsbk4awfnr7lgyx","kind":"checkout_session","mode":"test","status":"pending","amount":"10","currency":"USD","amount_due":"10","customer_id":"","description":"Tee","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8sll0ct","family":"btc","precision":8,"address_index":2,"rate":"65000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.00015385","amount_paid":"0","amount_confirmed":"0","confirmations_required":1},{"code":"LTC","currency":"LTC","network":"litecoin","address":"tltc1qd7spv5q28348xl4myc8zmh983w5jx32ctl5d4h","family":"ltc","precision":8,"address_index":1,"rate":"80","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.125","amount_paid":"0","amount_confirmed":"0","confirmations_required":6},{"code":"ETH","currency":"ETH","network":"ethereum","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"3000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.003333333333333334","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"LINK_ETHEREUM","currency":"LINK","network":"ethereum","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"15","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.666666666666666667","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDT_ETHEREUM","currency":"USDT","network":"ethereum","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDC_ETHEREUM","currency":"USDC","network":"ethereum","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"BNB","currency":"BNB","network":"bsc","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"600","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.016666666666666667","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDT_BSC","currency":"USDT","network":"bsc","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDC_BSC","currency":"USDC","network":"bsc","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"POL","currency":"POL","network":"polygon","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"0.5","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"20","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDT_POLYGON","currency":"USDT","network":"polygon","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDC_POLYGON","currency":"USDC","network":"polygon","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"ETH_BASE","currency":"ETH","network":"base","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":18,"address_index":1,"rate":"3000","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.003333333333333334","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"USDC_BASE","currency":"USDC","network":"base","address":"0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0","family":"evm","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"TRX","currency":"TRX","network":"tron","address":"TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK","family":"tron","precision":6,"address_index":1,"rate":"0.125","rate_source":"fixed+par","rated_at":"2026-03-01T12:00:00Z","amount_due":"80","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDT_TRON","currency":"USDT","network":"tron","address":"TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK","family":"tron","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDC_TRON","currency":"USDC","network":"tron","address":"TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK","family":"tron","precision":6,"address_index":1,"rate":"1","rate_source":"par","amount_due":"10","amount_paid":"0","amount_confirmed":"0","confirmations_required":19}],"amount_paid":"0","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z"}', '', 'f47073baf683eded6b4b0b9a4fd57395b366baa964bec2f1e92ce19c3b089e91');
INSERT INTO public.invoices VALUES ('pay_24qrq6zhn5jhshd66cxz', 'test', 'payment', 'pending', NULL, '', '2026-03-01 12:00:00+00', '2026-03-01 13:00:00+00', '2026-03-02 13:00:00+00', true, '{"id":"pay_24qrq6zhn5jhshd66cxz","kind":"payment","mode":"test","status":"pending","amount":"5","currency":"EUR","amount_due":"5","customer_id":"","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1qynpgs6wap6h9uvy7j0xlesew2w82qn038zm5km","family":"btc","precision":8,"address_index":3,"rate":"60185.185185185185185185","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.00008308","amount_paid":"0","amount_confirmed":"0","confirmations_required":1},{"code":"LTC","currency":"LTC","network":"litecoin","address":"tltc1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8fha3gz","family":"ltc","precision":8,"address_index":2,"rate":"74.074074074074074074","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.06750001","amount_paid":"0","amount_confirmed":"0","confirmations_required":6},{"code":"ETH","currency":"ETH","network":"ethereum","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"2777.777777777777777778","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.0018","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"LINK_ETHEREUM","currency":"LINK","network":"ethereum","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"13.888888888888888889","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.36","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDT_ETHEREUM","currency":"USDT","network":"ethereum","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"USDC_ETHEREUM","currency":"USDC","network":"ethereum","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":12},{"code":"BNB","currency":"BNB","network":"bsc","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"555.555555555555555556","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.009","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDT_BSC","currency":"USDT","network":"bsc","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"USDC_BSC","currency":"USDC","network":"bsc","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":15},{"code":"POL","currency":"POL","network":"polygon","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"0.462962962962962963","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"10.8","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDT_POLYGON","currency":"USDT","network":"polygon","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"USDC_POLYGON","currency":"USDC","network":"polygon","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":128},{"code":"ETH_BASE","currency":"ETH","network":"base","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":18,"address_index":2,"rate":"2777.777777777777777778","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"0.0018","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"USDC_BASE","currency":"USDC","network":"base","address":"0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A","family":"evm","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":10},{"code":"TRX","currency":"TRX","network":"tron","address":"TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx","family":"tron","precision":6,"address_index":2,"rate":"0.115740740740740741","rate_source":"fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"43.2","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDT_TRON","currency":"USDT","network":"tron","address":"TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx","family":"tron","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":19},{"code":"USDC_TRON","currency":"USDC","network":"tron","address":"TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx","family":"tron","precision":6,"address_index":2,"rate":"0.925925925925925926","rate_source":"par+fixed","rated_at":"2026-03-01T12:00:00Z","amount_due":"5.4","amount_paid":"0","amount_confirmed":"0","confirmations_required":19}],"amount_paid":"0","amount_confirmed":"0","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","updated_at":"2026-03-01T12:00:00Z"}', '', 'bff86336972b5efc0475141a8b8e301874a852fe6d8e6f469ec9ed02d8a875be');
INSERT INTO public.invoices VALUES ('inv_rz5syg756xacwxrehslk', 'test', 'invoice', 'paid', NULL, '', '2026-03-01 12:00:00+00', '2026-03-01 13:00:00+00', '2026-03-02 13:00:00+00', true, '{"id":"inv_rz5syg756xacwxrehslk","kind":"invoice","mode":"test","status":"paid","amount":"0.05","currency":"BTC","amount_due":"0.05","customer_id":"","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1q677973lw0w796gttpy52f296jqaaksz0555pg2","family":"btc","precision":8,"address_index":4,"rate":"1","rate_source":"par","amount_due":"0.05","amount_paid":"0.05","amount_confirmed":"0.05","confirmations_required":1}],"amount_paid":"0.05","amount_confirmed":"0.05","amount_refunded":"0","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","paid_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z"}', '', '58213eba25c7b8c7d62fc1c50ed3ad437d5f3f30f832d1ec52778a32fc7a5b0f');
INSERT INTO public.invoices VALUES ('inv_dwskrc6hlynp4a5ukm4v', 'test', 'invoice', 'paid', 'fx-1', 'cus_qxuperbcgb6ywm7eecxm', '2026-03-01 12:00:00+00', '2026-03-01 13:00:00+00', '2026-03-02 13:00:00+00', true, '{"id":"inv_dwskrc6hlynp4a5ukm4v","kind":"invoice","mode":"test","status":"paid","amount":"0.01","currency":"BTC","amount_due":"0.01","order_id":"fx-1","customer_id":"cus_qxuperbcgb6ywm7eecxm","metadata":null,"accuracy_payment_percent":"0","underpayment_threshold":"0","is_payment_multiple":true,"subtract":"0","discount_percent":"0","payment_methods":[{"code":"BTC","currency":"BTC","network":"bitcoin","address":"tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl","family":"btc","precision":8,"address_index":0,"rate":"1","rate_source":"par","amount_due":"0.01","amount_paid":"0.01","amount_confirmed":"0.01","confirmations_required":1}],"amount_paid":"0.01","amount_confirmed":"0.01","amount_refunded":"0.001","refunded":false,"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T13:00:00Z","monitor_until":"2026-03-02T13:00:00Z","paid_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z"}', '', 'b0b89655cd523d9cf403669676df7c26c423396c170b701e0b318b92e03cdad7');


--
-- Data for Name: kassa_schema; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.kassa_schema VALUES (1, '0001_init.sql', '2026-11-26 18:50:04.16398+00');
INSERT INTO public.kassa_schema VALUES (2, '0002_transfer_sender.sql', '2026-11-26 18:50:04.231659+00');
INSERT INTO public.kassa_schema VALUES (3, '0003_refunds.sql', '2026-11-26 18:50:04.23305+00');
INSERT INTO public.kassa_schema VALUES (4, '0004_sweeps.sql', '2026-11-26 18:50:04.237209+00');
INSERT INTO public.kassa_schema VALUES (5, '0005_fee_bumps.sql', '2026-11-26 18:50:04.241365+00');
INSERT INTO public.kassa_schema VALUES (6, '0006_customers.sql', '2026-11-26 18:50:04.245432+00');
INSERT INTO public.kassa_schema VALUES (7, '0007_wallets.sql', '2026-11-26 18:50:04.248622+00');


--
-- Data for Name: key_indexes; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.key_indexes VALUES ('ltc', 'test', 3);
INSERT INTO public.key_indexes VALUES ('evm', 'test', 3);
INSERT INTO public.key_indexes VALUES ('tron', 'test', 3);
INSERT INTO public.key_indexes VALUES ('btc', 'test', 8);


--
-- Data for Name: leases; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: ledger_accounts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ledger_accounts VALUES ('merchant:test:BTC:deficit', 'BTC', 'test', false, 0, '2026-11-26 18:50:04.299545+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:BTC:pending', 'BTC', 'test', true, 0, '2026-11-26 18:50:04.299264+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:LTC:available', 'LTC', 'test', true, 0, '2026-11-26 18:50:04.335345+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:LTC:pending', 'LTC', 'test', true, 0, '2026-11-26 18:50:04.335562+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:LTC:deficit', 'LTC', 'test', false, 0, '2026-11-26 18:50:04.335744+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:LTC', 'LTC', 'test', false, 0, '2026-11-26 18:50:04.335929+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:LTC:network', 'LTC', 'test', true, 0, '2026-11-26 18:50:04.336105+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:LTC', 'LTC', 'test', true, 0, '2026-11-26 18:50:04.336286+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:ETH:available', 'ETH', 'test', true, 0, '2026-11-26 18:50:04.336557+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:ETH:pending', 'ETH', 'test', true, 0, '2026-11-26 18:50:04.336737+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:ETH:deficit', 'ETH', 'test', false, 0, '2026-11-26 18:50:04.336895+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:ETH', 'ETH', 'test', false, 0, '2026-11-26 18:50:04.337107+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:ETH:network', 'ETH', 'test', true, 0, '2026-11-26 18:50:04.337271+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:ETH', 'ETH', 'test', true, 0, '2026-11-26 18:50:04.337453+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:LINK_ETHEREUM:available', 'LINK_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.337635+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:LINK_ETHEREUM:pending', 'LINK_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.337817+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:LINK_ETHEREUM:deficit', 'LINK_ETHEREUM', 'test', false, 0, '2026-11-26 18:50:04.337992+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:LINK_ETHEREUM', 'LINK_ETHEREUM', 'test', false, 0, '2026-11-26 18:50:04.338173+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:LINK_ETHEREUM:network', 'LINK_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.338408+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:LINK_ETHEREUM', 'LINK_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.338651+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_ETHEREUM:available', 'USDT_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.338832+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_ETHEREUM:pending', 'USDT_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.339016+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_ETHEREUM:deficit', 'USDT_ETHEREUM', 'test', false, 0, '2026-11-26 18:50:04.339189+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:USDT_ETHEREUM', 'USDT_ETHEREUM', 'test', false, 0, '2026-11-26 18:50:04.339369+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:USDT_ETHEREUM:network', 'USDT_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.339557+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:USDT_ETHEREUM', 'USDT_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.339757+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_ETHEREUM:available', 'USDC_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.339958+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_ETHEREUM:pending', 'USDC_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.340157+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_ETHEREUM:deficit', 'USDC_ETHEREUM', 'test', false, 0, '2026-11-26 18:50:04.340333+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:USDC_ETHEREUM', 'USDC_ETHEREUM', 'test', false, 0, '2026-11-26 18:50:04.340519+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:USDC_ETHEREUM:network', 'USDC_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.340693+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:USDC_ETHEREUM', 'USDC_ETHEREUM', 'test', true, 0, '2026-11-26 18:50:04.34088+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:BNB:available', 'BNB', 'test', true, 0, '2026-11-26 18:50:04.341071+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:BNB:pending', 'BNB', 'test', true, 0, '2026-11-26 18:50:04.34126+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:BNB:deficit', 'BNB', 'test', false, 0, '2026-11-26 18:50:04.341446+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:BNB', 'BNB', 'test', false, 0, '2026-11-26 18:50:04.34161+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:BNB:network', 'BNB', 'test', true, 0, '2026-11-26 18:50:04.341783+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:BNB', 'BNB', 'test', true, 0, '2026-11-26 18:50:04.341966+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_BSC:available', 'USDT_BSC', 'test', true, 0, '2026-11-26 18:50:04.342151+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_BSC:pending', 'USDT_BSC', 'test', true, 0, '2026-11-26 18:50:04.342354+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_BSC:deficit', 'USDT_BSC', 'test', false, 0, '2026-11-26 18:50:04.342588+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:USDT_BSC', 'USDT_BSC', 'test', false, 0, '2026-11-26 18:50:04.342777+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:USDT_BSC:network', 'USDT_BSC', 'test', true, 0, '2026-11-26 18:50:04.34293+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:USDT_BSC', 'USDT_BSC', 'test', true, 0, '2026-11-26 18:50:04.34311+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_BSC:available', 'USDC_BSC', 'test', true, 0, '2026-11-26 18:50:04.343286+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_BSC:pending', 'USDC_BSC', 'test', true, 0, '2026-11-26 18:50:04.343466+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_BSC:deficit', 'USDC_BSC', 'test', false, 0, '2026-11-26 18:50:04.343639+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:USDC_BSC', 'USDC_BSC', 'test', false, 0, '2026-11-26 18:50:04.343821+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:USDC_BSC:network', 'USDC_BSC', 'test', true, 0, '2026-11-26 18:50:04.343994+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:USDC_BSC', 'USDC_BSC', 'test', true, 0, '2026-11-26 18:50:04.344174+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:POL:available', 'POL', 'test', true, 0, '2026-11-26 18:50:04.344327+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:POL:pending', 'POL', 'test', true, 0, '2026-11-26 18:50:04.344505+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:POL:deficit', 'POL', 'test', false, 0, '2026-11-26 18:50:04.344678+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:POL', 'POL', 'test', false, 0, '2026-11-26 18:50:04.344836+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:POL:network', 'POL', 'test', true, 0, '2026-11-26 18:50:04.345022+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:POL', 'POL', 'test', true, 0, '2026-11-26 18:50:04.345186+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_POLYGON:available', 'USDT_POLYGON', 'test', true, 0, '2026-11-26 18:50:04.345362+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_POLYGON:pending', 'USDT_POLYGON', 'test', true, 0, '2026-11-26 18:50:04.345543+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_POLYGON:deficit', 'USDT_POLYGON', 'test', false, 0, '2026-11-26 18:50:04.345716+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:USDT_POLYGON', 'USDT_POLYGON', 'test', false, 0, '2026-11-26 18:50:04.345895+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:USDT_POLYGON:network', 'USDT_POLYGON', 'test', true, 0, '2026-11-26 18:50:04.346068+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:USDT_POLYGON', 'USDT_POLYGON', 'test', true, 0, '2026-11-26 18:50:04.346247+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_POLYGON:available', 'USDC_POLYGON', 'test', true, 0, '2026-11-26 18:50:04.346423+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_POLYGON:pending', 'USDC_POLYGON', 'test', true, 0, '2026-11-26 18:50:04.346645+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_POLYGON:deficit', 'USDC_POLYGON', 'test', false, 0, '2026-11-26 18:50:04.346823+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:USDC_POLYGON', 'USDC_POLYGON', 'test', false, 0, '2026-11-26 18:50:04.346984+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:USDC_POLYGON:network', 'USDC_POLYGON', 'test', true, 0, '2026-11-26 18:50:04.347156+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:USDC_POLYGON', 'USDC_POLYGON', 'test', true, 0, '2026-11-26 18:50:04.347335+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:ETH_BASE:available', 'ETH_BASE', 'test', true, 0, '2026-11-26 18:50:04.347523+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:ETH_BASE:pending', 'ETH_BASE', 'test', true, 0, '2026-11-26 18:50:04.347703+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:ETH_BASE:deficit', 'ETH_BASE', 'test', false, 0, '2026-11-26 18:50:04.347875+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:ETH_BASE', 'ETH_BASE', 'test', false, 0, '2026-11-26 18:50:04.348055+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:ETH_BASE:network', 'ETH_BASE', 'test', true, 0, '2026-11-26 18:50:04.348229+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:ETH_BASE', 'ETH_BASE', 'test', true, 0, '2026-11-26 18:50:04.348471+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_BASE:available', 'USDC_BASE', 'test', true, 0, '2026-11-26 18:50:04.348659+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_BASE:pending', 'USDC_BASE', 'test', true, 0, '2026-11-26 18:50:04.34884+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_BASE:deficit', 'USDC_BASE', 'test', false, 0, '2026-11-26 18:50:04.349013+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:USDC_BASE', 'USDC_BASE', 'test', false, 0, '2026-11-26 18:50:04.349193+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:USDC_BASE:network', 'USDC_BASE', 'test', true, 0, '2026-11-26 18:50:04.349379+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:USDC_BASE', 'USDC_BASE', 'test', true, 0, '2026-11-26 18:50:04.34956+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:TRX:available', 'TRX', 'test', true, 0, '2026-11-26 18:50:04.34999+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:TRX:pending', 'TRX', 'test', true, 0, '2026-11-26 18:50:04.350301+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:TRX:deficit', 'TRX', 'test', false, 0, '2026-11-26 18:50:04.350604+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:TRX', 'TRX', 'test', false, 0, '2026-11-26 18:50:04.350929+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:TRX:network', 'TRX', 'test', true, 0, '2026-11-26 18:50:04.351278+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:TRX', 'TRX', 'test', true, 0, '2026-11-26 18:50:04.351539+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_TRON:available', 'USDT_TRON', 'test', true, 0, '2026-11-26 18:50:04.35189+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_TRON:pending', 'USDT_TRON', 'test', true, 0, '2026-11-26 18:50:04.352133+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDT_TRON:deficit', 'USDT_TRON', 'test', false, 0, '2026-11-26 18:50:04.352541+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:BTC:available', 'BTC', 'test', true, 5700000, '2026-11-26 18:50:04.298726+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:USDT_TRON', 'USDT_TRON', 'test', false, 0, '2026-11-26 18:50:04.352908+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:USDT_TRON:network', 'USDT_TRON', 'test', true, 0, '2026-11-26 18:50:04.353563+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:USDT_TRON', 'USDT_TRON', 'test', true, 0, '2026-11-26 18:50:04.353848+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_TRON:available', 'USDC_TRON', 'test', true, 0, '2026-11-26 18:50:04.354201+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_TRON:pending', 'USDC_TRON', 'test', true, 0, '2026-11-26 18:50:04.354431+00');
INSERT INTO public.ledger_accounts VALUES ('merchant:test:USDC_TRON:deficit', 'USDC_TRON', 'test', false, 0, '2026-11-26 18:50:04.35478+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:USDC_TRON', 'USDC_TRON', 'test', false, 0, '2026-11-26 18:50:04.355071+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:USDC_TRON:network', 'USDC_TRON', 'test', true, 0, '2026-11-26 18:50:04.355372+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:USDC_TRON', 'USDC_TRON', 'test', true, 0, '2026-11-26 18:50:04.355645+00');
INSERT INTO public.ledger_accounts VALUES ('operator:test:BTC:service', 'BTC', 'test', true, 0, '2026-11-26 18:50:04.391177+00');
INSERT INTO public.ledger_accounts VALUES ('wallet:test:wal_mxtpoxua3gc4omv5d4qz:BTC:pending', 'BTC', 'test', true, 0, '2026-11-26 18:50:04.420782+00');
INSERT INTO public.ledger_accounts VALUES ('wallet:test:wal_mxtpoxua3gc4omv5d4qz:BTC:deficit', 'BTC', 'test', false, 0, '2026-11-26 18:50:04.42096+00');
INSERT INTO public.ledger_accounts VALUES ('wallet:test:wal_mxtpoxua3gc4omv5d4qz:BTC:held', 'BTC', 'test', true, 0, '2026-11-26 18:50:04.421134+00');
INSERT INTO public.ledger_accounts VALUES ('wallet:test:wal_mxtpoxua3gc4omv5d4qz:BTC:available', 'BTC', 'test', true, 500000, '2026-11-26 18:50:04.420588+00');
INSERT INTO public.ledger_accounts VALUES ('fees:test:BTC:network', 'BTC', 'test', true, 2000, '2026-11-26 18:50:04.300073+00');
INSERT INTO public.ledger_accounts VALUES ('holds:test:BTC', 'BTC', 'test', true, 0, '2026-11-26 18:50:04.300341+00');
INSERT INTO public.ledger_accounts VALUES ('world:test:BTC', 'BTC', 'test', false, -6202000, '2026-11-26 18:50:04.299805+00');


--
-- Data for Name: ledger_entries; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ledger_entries OVERRIDING SYSTEM VALUE VALUES (1, 'transfer:bitcoin:test:a72f7e1e96e9121315a0139949d685f05f060b96cebb19be725d83f3ffb95eb0:0:1', '\x8baa3af3b33fa57f253ca91dc9c5d7893e4e8f396a6d09b993b7e11ff17bb01f', 'BTC a72f7e1e96e9121315a0139949d685f05f060b96cebb19be725d83f3ffb95eb0:0 none -> pending', '2026-11-26 18:50:04.309514+00');
INSERT INTO public.ledger_entries OVERRIDING SYSTEM VALUE VALUES (2, 'transfer:bitcoin:test:a72f7e1e96e9121315a0139949d685f05f060b96cebb19be725d83f3ffb95eb0:0:2', '\x8a2f2af10805f4421daf5024208ff23ef50b8dfd820d15e3565e1935a1fca864', 'BTC a72f7e1e96e9121315a0139949d685f05f060b96cebb19be725d83f3ffb95eb0:0 pending -> available', '2026-11-26 18:50:04.325326+00');
INSERT INTO public.ledger_entries OVERRIDING SYSTEM VALUE VALUES (3, 'transfer:bitcoin:test:f73d7eb46e63fc61b9f55eac8e3677d00fc0e488167ae14253fd0e66a24ceb5c:0:1', '\x1885a68af15003dd079ab6f4b308cd721fc646bbc07764612d9d80ff94c55d8d', 'BTC f73d7eb46e63fc61b9f55eac8e3677d00fc0e488167ae14253fd0e66a24ceb5c:0 none -> available', '2026-11-26 18:50:04.377188+00');
INSERT INTO public.ledger_entries OVERRIDING SYSTEM VALUE VALUES (4, 'hold:po_pre6luymk2sagru3d6ms', '\x1458c1e13839a6e0e2e979b405e73783e52c1c62ae7b38b5ae5246d7995e3a05', 'hold po_pre6luymk2sagru3d6ms', '2026-11-26 18:50:04.391823+00');
INSERT INTO public.ledger_entries OVERRIDING SYSTEM VALUE VALUES (5, 'hold:po_fnldam4jzgvvjgf3nxah', '\x8c463dc91fd7d8a120cae415b8b75d7d9dbf0a40bd8dffdd097dc03a5925f756', 'hold po_fnldam4jzgvvjgf3nxah', '2026-11-26 18:50:04.408151+00');
INSERT INTO public.ledger_entries OVERRIDING SYSTEM VALUE VALUES (6, 'transfer:bitcoin:test:ec254ae5157019e5236f970f701b9ab4723e3f1a29239f62bf4463b4606afa97:0:1', '\x145482261bbb0327d8dd12ff2ff43c28f2b2ff7381a7b5c22b448070621106b8', 'wallet wal_mxtpoxua3gc4omv5d4qz: BTC ec254ae5157019e5236f970f701b9ab4723e3f1a29239f62bf4463b4606afa97:0 none -> available', '2026-11-26 18:50:04.427822+00');
INSERT INTO public.ledger_entries OVERRIDING SYSTEM VALUE VALUES (7, 'hold:po_pre6luymk2sagru3d6ms:close', '\x344ec6dbde4f1b4c6412243c22049899df1c273ae78d0642b7fe66aba0e2e1d8', 'post hold po_pre6luymk2sagru3d6ms', '2026-11-26 18:50:04.430768+00');
INSERT INTO public.ledger_entries OVERRIDING SYSTEM VALUE VALUES (8, 'hold:po_fnldam4jzgvvjgf3nxah:close', '\x4d2f711aa5b8fa5a1b500a1fcd2b98225b43d52948ad58fdf5b2dea04af070fc', 'post hold po_fnldam4jzgvvjgf3nxah', '2026-11-26 18:50:04.437281+00');


--
-- Data for Name: ledger_holds; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ledger_holds VALUES ('po_pre6luymk2sagru3d6ms', 'merchant:test:BTC:available', 'holds:test:BTC', 200000, 'posted', '2026-11-26 18:50:04.392592+00', '2026-11-26 18:50:04.435248+00');
INSERT INTO public.ledger_holds VALUES ('po_fnldam4jzgvvjgf3nxah', 'merchant:test:BTC:available', 'holds:test:BTC', 100000, 'posted', '2026-11-26 18:50:04.409009+00', '2026-11-26 18:50:04.438059+00');


--
-- Data for Name: ledger_postings; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ledger_postings VALUES (1, 0, 'merchant:test:BTC:pending', 1000000);
INSERT INTO public.ledger_postings VALUES (1, 1, 'world:test:BTC', -1000000);
INSERT INTO public.ledger_postings VALUES (2, 0, 'merchant:test:BTC:available', 1000000);
INSERT INTO public.ledger_postings VALUES (2, 1, 'merchant:test:BTC:pending', -1000000);
INSERT INTO public.ledger_postings VALUES (3, 0, 'merchant:test:BTC:available', 5000000);
INSERT INTO public.ledger_postings VALUES (3, 1, 'world:test:BTC', -5000000);
INSERT INTO public.ledger_postings VALUES (4, 0, 'merchant:test:BTC:available', -200000);
INSERT INTO public.ledger_postings VALUES (4, 1, 'holds:test:BTC', 200000);
INSERT INTO public.ledger_postings VALUES (5, 0, 'merchant:test:BTC:available', -100000);
INSERT INTO public.ledger_postings VALUES (5, 1, 'holds:test:BTC', 100000);
INSERT INTO public.ledger_postings VALUES (6, 0, 'wallet:test:wal_mxtpoxua3gc4omv5d4qz:BTC:available', 500000);
INSERT INTO public.ledger_postings VALUES (6, 1, 'world:test:BTC', -500000);
INSERT INTO public.ledger_postings VALUES (7, 0, 'holds:test:BTC', -200000);
INSERT INTO public.ledger_postings VALUES (7, 1, 'world:test:BTC', 199000);
INSERT INTO public.ledger_postings VALUES (7, 2, 'fees:test:BTC:network', 1000);
INSERT INTO public.ledger_postings VALUES (8, 0, 'holds:test:BTC', -100000);
INSERT INTO public.ledger_postings VALUES (8, 1, 'world:test:BTC', 99000);
INSERT INTO public.ledger_postings VALUES (8, 2, 'fees:test:BTC:network', 1000);


--
-- Data for Name: payout_codes; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: payout_replaced_txs; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: payouts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.payouts VALUES ('po_pre6luymk2sagru3d6ms', 'test', '', 'completed', '2026-03-01 12:00:00+00', '{"payout_id":"po_pre6luymk2sagru3d6ms","status":"completed","code":"BTC","currency":"BTC","network":"bitcoin","destination_address":"tb1qdz087gr9rthdz0uu5pekjuc7ada86d95fmhdh0","amount":"0.002","service_fee":"0","estimated_fee":"0.00001","fee_currency":"BTC","net_amount":"0.00199","fee":"0.00001","tx_hash":"6993e09182caf7c57cdfc07d37ef9e9005f4de5eb90757af5ff0db7a589868cc","value_usd":"130","approval":"automatic","customer_id":"","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","completed_at":"2026-03-01T12:00:00Z","mode":"test"}', '', 13000, '6993e09182caf7c57cdfc07d37ef9e9005f4de5eb90757af5ff0db7a589868cc', '');
INSERT INTO public.payouts VALUES ('po_fnldam4jzgvvjgf3nxah', 'test', '', 'completed', '2026-03-01 12:00:00+00', '{"payout_id":"po_fnldam4jzgvvjgf3nxah","status":"completed","code":"BTC","currency":"BTC","network":"bitcoin","destination_address":"tb1qurg4y55dpv5z80yhgmjqq6gw83gujt5rg5zr3q","amount":"0.001","service_fee":"0","estimated_fee":"0.00001","fee_currency":"BTC","net_amount":"0.00099","fee":"0.00001","tx_hash":"f491c7d981f58ea17f4fc7373c50b47fc8ac36c7e875c1927242abfe920b0fcc","value_usd":"65","approval":"automatic","customer_id":"cus_qxuperbcgb6ywm7eecxm","refund_id":"re_k4l3obbxfmhhdzngbpza","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","completed_at":"2026-03-01T12:00:00Z","mode":"test"}', '', 6500, 'f491c7d981f58ea17f4fc7373c50b47fc8ac36c7e875c1927242abfe920b0fcc', '');


--
-- Data for Name: rate_buckets; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: refunds; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.refunds VALUES ('re_k4l3obbxfmhhdzngbpza', 'test', 'refund', 'inv_dwskrc6hlynp4a5ukm4v', 'po_fnldam4jzgvvjgf3nxah', 'succeeded', '', NULL, '', '2026-03-01 12:00:00+00', '{"id":"re_k4l3obbxfmhhdzngbpza","object":"refund","livemode":false,"invoice_id":"inv_dwskrc6hlynp4a5ukm4v","status":"succeeded","amount":"0.001","currency":"BTC","rate":"invoice","fee_payer":"customer","refund_code":"BTC","refund_currency":"BTC","refund_network":"bitcoin","refund_amount":"0.001","amount_received":"0.00099","estimated_fee":"0.00001","network_fee":"0.00001","fee_currency":"BTC","destination_address":"tb1qurg4y55dpv5z80yhgmjqq6gw83gujt5rg5zr3q","payout_id":"po_fnldam4jzgvvjgf3nxah","tx_hash":"f491c7d981f58ea17f4fc7373c50b47fc8ac36c7e875c1927242abfe920b0fcc","metadata":null,"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","succeeded_at":"2026-03-01T12:00:00Z"}');


--
-- Data for Name: seen_signatures; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: settings; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.settings VALUES ('master_key_check', '\xa674da566349c5c857af1bf9c18050f5ce9953a37aaf841455b972691771bb0aacd1efdfcdf94c3fb1a99ed9');


--
-- Data for Name: sweeps; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: wallet_addresses; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.wallet_addresses VALUES ('btc', 'test', 'tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl', 0, 0, '\x02e7ab2537b5d49e970309aae06e9e49f36ce1c9febbd44ec8e0d1cca0b4f9c319');
INSERT INTO public.wallet_addresses VALUES ('btc', 'test', 'tb1qd7spv5q28348xl4myc8zmh983w5jx32cjhkn97', 0, 1, '\x03eeed205a69022fed4a62a02457f3699b19c06bf74bf801acc6d9ae84bc16a9e1');
INSERT INTO public.wallet_addresses VALUES ('ltc', 'test', 'tltc1q6rz28mcfaxtmd6v789l9rrlrusdprr9pesrjxk', 0, 0, '\x02e7ab2537b5d49e970309aae06e9e49f36ce1c9febbd44ec8e0d1cca0b4f9c319');
INSERT INTO public.wallet_addresses VALUES ('evm', 'test', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94', 0, 0, '\x0237b0bb7a8288d38ed49a524b5dc98cff3eb5ca824c9f9dc0dfdb3d9cd600f299');
INSERT INTO public.wallet_addresses VALUES ('tron', 'test', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 0, 0, '\x03ff21f8e64d3a3c0198edfbb7afdc79be959432e92e2f8a1984bb436a414b8edc');
INSERT INTO public.wallet_addresses VALUES ('btc', 'test', 'tb1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8sll0ct', 0, 2, '\x02339193c34cd8ecb21ebd48af64ead71d78213470d61d7274f932489d6ba21bd3');
INSERT INTO public.wallet_addresses VALUES ('ltc', 'test', 'tltc1qd7spv5q28348xl4myc8zmh983w5jx32ctl5d4h', 0, 1, '\x03eeed205a69022fed4a62a02457f3699b19c06bf74bf801acc6d9ae84bc16a9e1');
INSERT INTO public.wallet_addresses VALUES ('evm', 'test', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0', 0, 1, '\x039fd0991d0222b4e1339c1a1a5b5f6d9f6a96672a3247b638ee6156d9ea877a2f');
INSERT INTO public.wallet_addresses VALUES ('tron', 'test', 'TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK', 0, 1, '\x0209b9854ad6e016c5d72aee08f763821bd5e32489c12bcc078a935a14f29dbed6');
INSERT INTO public.wallet_addresses VALUES ('btc', 'test', 'tb1qynpgs6wap6h9uvy7j0xlesew2w82qn038zm5km', 0, 3, '\x02b1571f70c0d52ba8d491afa0e9891f83cbc558c74d12509307edd188abf800f4');
INSERT INTO public.wallet_addresses VALUES ('ltc', 'test', 'tltc1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8fha3gz', 0, 2, '\x02339193c34cd8ecb21ebd48af64ead71d78213470d61d7274f932489d6ba21bd3');
INSERT INTO public.wallet_addresses VALUES ('evm', 'test', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A', 0, 2, '\x03880bcb4bf46b49bdb071e307e282b11b9166907d9708f8c706092c44743f3e67');
INSERT INTO public.wallet_addresses VALUES ('tron', 'test', 'TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx', 0, 2, '\x02f988243bb0c75357d9d269098b08fe8a8f18a470a37e250528c67600272bd06f');
INSERT INTO public.wallet_addresses VALUES ('btc', 'test', 'tb1q677973lw0w796gttpy52f296jqaaksz0555pg2', 0, 4, '\x03bb5db212192d5b428c5db726aba21426d0a63b7a453b0104f2398326bca43fc2');
INSERT INTO public.wallet_addresses VALUES ('btc', 'test', 'tb1qfsryn6hh2yhpxpp7m9dh54x89wettyfk45jn6y', 0, 7, '\x02105d0e55b9a741b873a9c0bd52ecac6f85f58de93e19d48c8c0ea33f54806b5f');


--
-- Data for Name: wallet_sends; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: wallet_spends; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: wallets; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.wallets VALUES ('wal_mxtpoxua3gc4omv5d4qz', 'test', 'cus_qxuperbcgb6ywm7eecxm', 'BTC', 'BTC', 'bitcoin', 'tb1qfsryn6hh2yhpxpp7m9dh54x89wettyfk45jn6y', 7, '', NULL, '2026-03-01 12:00:00+00');


--
-- Data for Name: watched_addresses; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.watched_addresses VALUES ('bitcoin', 'test', 'tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl', 'inv_dwskrc6hlynp4a5ukm4v');
INSERT INTO public.watched_addresses VALUES ('bitcoin', 'test', 'tb1qd7spv5q28348xl4myc8zmh983w5jx32cjhkn97', 'inv_26r7ieapupbzfidxoesn');
INSERT INTO public.watched_addresses VALUES ('litecoin', 'test', 'tltc1q6rz28mcfaxtmd6v789l9rrlrusdprr9pesrjxk', 'inv_26r7ieapupbzfidxoesn');
INSERT INTO public.watched_addresses VALUES ('ethereum', 'test', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94', 'inv_26r7ieapupbzfidxoesn');
INSERT INTO public.watched_addresses VALUES ('bsc', 'test', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94', 'inv_26r7ieapupbzfidxoesn');
INSERT INTO public.watched_addresses VALUES ('polygon', 'test', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94', 'inv_26r7ieapupbzfidxoesn');
INSERT INTO public.watched_addresses VALUES ('base', 'test', '0x9858EfFD232B4033E47d90003D41EC34EcaEda94', 'inv_26r7ieapupbzfidxoesn');
INSERT INTO public.watched_addresses VALUES ('tron', 'test', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'inv_26r7ieapupbzfidxoesn');
INSERT INTO public.watched_addresses VALUES ('bitcoin', 'test', 'tb1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8sll0ct', 'chk_fs3yncsbk4awfnr7lgyx');
INSERT INTO public.watched_addresses VALUES ('litecoin', 'test', 'tltc1qd7spv5q28348xl4myc8zmh983w5jx32ctl5d4h', 'chk_fs3yncsbk4awfnr7lgyx');
INSERT INTO public.watched_addresses VALUES ('ethereum', 'test', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0', 'chk_fs3yncsbk4awfnr7lgyx');
INSERT INTO public.watched_addresses VALUES ('bsc', 'test', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0', 'chk_fs3yncsbk4awfnr7lgyx');
INSERT INTO public.watched_addresses VALUES ('polygon', 'test', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0', 'chk_fs3yncsbk4awfnr7lgyx');
INSERT INTO public.watched_addresses VALUES ('base', 'test', '0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0', 'chk_fs3yncsbk4awfnr7lgyx');
INSERT INTO public.watched_addresses VALUES ('tron', 'test', 'TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK', 'chk_fs3yncsbk4awfnr7lgyx');
INSERT INTO public.watched_addresses VALUES ('bitcoin', 'test', 'tb1qynpgs6wap6h9uvy7j0xlesew2w82qn038zm5km', 'pay_24qrq6zhn5jhshd66cxz');
INSERT INTO public.watched_addresses VALUES ('litecoin', 'test', 'tltc1qxdyjf6h5d6qxap4n2dap97q4j5ps6ua8fha3gz', 'pay_24qrq6zhn5jhshd66cxz');
INSERT INTO public.watched_addresses VALUES ('ethereum', 'test', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A', 'pay_24qrq6zhn5jhshd66cxz');
INSERT INTO public.watched_addresses VALUES ('bsc', 'test', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A', 'pay_24qrq6zhn5jhshd66cxz');
INSERT INTO public.watched_addresses VALUES ('polygon', 'test', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A', 'pay_24qrq6zhn5jhshd66cxz');
INSERT INTO public.watched_addresses VALUES ('base', 'test', '0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A', 'pay_24qrq6zhn5jhshd66cxz');
INSERT INTO public.watched_addresses VALUES ('tron', 'test', 'TYJPRrdB5APNeRs4R7fYZSwW3TcrTKw2gx', 'pay_24qrq6zhn5jhshd66cxz');
INSERT INTO public.watched_addresses VALUES ('bitcoin', 'test', 'tb1q677973lw0w796gttpy52f296jqaaksz0555pg2', 'inv_rz5syg756xacwxrehslk');
INSERT INTO public.watched_addresses VALUES ('bitcoin', 'test', 'tb1qfsryn6hh2yhpxpp7m9dh54x89wettyfk45jn6y', 'wal_mxtpoxua3gc4omv5d4qz');


--
-- Data for Name: webhook_attempts; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: webhook_callback_secrets; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: webhook_deliveries; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: webhook_endpoints; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.webhook_endpoints VALUES ('we_lifekjq2d4jvpnez2ql6', 'test', 'http://127.0.0.1:9/hooks', '', '["*"]', true, '', '\xd173122a5778ab0f55ebcf538c6d4c3a9b02d4d54123cfc5f927769cf2a3466cee982f8c890ef3262282ce7d1894415834d2e791a7a64beff1e5b1a429975f71888d', NULL, NULL, NULL, '2026-03-01 12:00:00+00', '2026-03-01 12:00:00+00');


--
-- Name: chain_journal_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.chain_journal_seq_seq', 10, true);


--
-- Name: events_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.events_seq_seq', 19, true);


--
-- Name: ledger_entries_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.ledger_entries_id_seq', 8, true);


--
-- Name: api_keys api_keys_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_hash_key UNIQUE (hash);


--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);


--
-- Name: chain_blocks chain_blocks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chain_blocks
    ADD CONSTRAINT chain_blocks_pkey PRIMARY KEY (network, mode, height);


--
-- Name: chain_cursors chain_cursors_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chain_cursors
    ADD CONSTRAINT chain_cursors_pkey PRIMARY KEY (network, mode);


--
-- Name: chain_followed chain_followed_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chain_followed
    ADD CONSTRAINT chain_followed_pkey PRIMARY KEY (network, mode, txid);


--
-- Name: chain_journal chain_journal_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chain_journal
    ADD CONSTRAINT chain_journal_pkey PRIMARY KEY (seq);


--
-- Name: chain_transfers chain_transfers_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chain_transfers
    ADD CONSTRAINT chain_transfers_id_key UNIQUE (id);


--
-- Name: chain_transfers chain_transfers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chain_transfers
    ADD CONSTRAINT chain_transfers_pkey PRIMARY KEY (network, mode, txid, idx);


--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);


--
-- Name: event_subscribers event_subscribers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.event_subscribers
    ADD CONSTRAINT event_subscribers_pkey PRIMARY KEY (name);


--
-- Name: events events_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_id_key UNIQUE (id);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (seq);


--
-- Name: evm_nonces evm_nonces_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.evm_nonces
    ADD CONSTRAINT evm_nonces_pkey PRIMARY KEY (network, mode, address);


--
-- Name: evm_sends evm_sends_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.evm_sends
    ADD CONSTRAINT evm_sends_pkey PRIMARY KEY (network, mode, spec_id, attempt);


--
-- Name: idempotency idempotency_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.idempotency
    ADD CONSTRAINT idempotency_pkey PRIMARY KEY (key_id, key);


--
-- Name: invoice_methods invoice_methods_network_mode_asset_address_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoice_methods
    ADD CONSTRAINT invoice_methods_network_mode_asset_address_key UNIQUE (network, mode, asset, address);


--
-- Name: invoice_methods invoice_methods_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoice_methods
    ADD CONSTRAINT invoice_methods_pkey PRIMARY KEY (invoice_id, seq);


--
-- Name: invoices invoices_mode_order_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_mode_order_id_key UNIQUE (mode, order_id);


--
-- Name: invoices invoices_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_pkey PRIMARY KEY (id);


--
-- Name: kassa_schema kassa_schema_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.kassa_schema
    ADD CONSTRAINT kassa_schema_pkey PRIMARY KEY (version);


--
-- Name: key_indexes key_indexes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.key_indexes
    ADD CONSTRAINT key_indexes_pkey PRIMARY KEY (family, mode);


--
-- Name: leases leases_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leases
    ADD CONSTRAINT leases_pkey PRIMARY KEY (name);


--
-- Name: ledger_accounts ledger_accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_accounts
    ADD CONSTRAINT ledger_accounts_pkey PRIMARY KEY (name);


--
-- Name: ledger_entries ledger_entries_idem_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_entries
    ADD CONSTRAINT ledger_entries_idem_key_key UNIQUE (idem_key);


--
-- Name: ledger_entries ledger_entries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_entries
    ADD CONSTRAINT ledger_entries_pkey PRIMARY KEY (id);


--
-- Name: ledger_holds ledger_holds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_holds
    ADD CONSTRAINT ledger_holds_pkey PRIMARY KEY (id);


--
-- Name: ledger_postings ledger_postings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_postings
    ADD CONSTRAINT ledger_postings_pkey PRIMARY KEY (entry_id, seq);


--
-- Name: payout_codes payout_codes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payout_codes
    ADD CONSTRAINT payout_codes_pkey PRIMARY KEY (payout_id);


--
-- Name: payout_replaced_txs payout_replaced_txs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payout_replaced_txs
    ADD CONSTRAINT payout_replaced_txs_pkey PRIMARY KEY (mode, txid, payout_id);


--
-- Name: payouts payouts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payouts
    ADD CONSTRAINT payouts_pkey PRIMARY KEY (id);


--
-- Name: rate_buckets rate_buckets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rate_buckets
    ADD CONSTRAINT rate_buckets_pkey PRIMARY KEY (key);


--
-- Name: refunds refunds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_pkey PRIMARY KEY (id);


--
-- Name: seen_signatures seen_signatures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.seen_signatures
    ADD CONSTRAINT seen_signatures_pkey PRIMARY KEY (key_id, signature);


--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (name);


--
-- Name: sweeps sweeps_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sweeps
    ADD CONSTRAINT sweeps_pkey PRIMARY KEY (id);


--
-- Name: wallet_addresses wallet_addresses_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.wallet_addresses
    ADD CONSTRAINT wallet_addresses_pkey PRIMARY KEY (family, mode, address);


--
-- Name: wallet_sends wallet_sends_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.wallet_sends
    ADD CONSTRAINT wallet_sends_pkey PRIMARY KEY (network, mode, spec_id);


--
-- Name: wallet_spends wallet_spends_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.wallet_spends
    ADD CONSTRAINT wallet_spends_pkey PRIMARY KEY (network, mode, txid, idx);


--
-- Name: wallets wallets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.wallets
    ADD CONSTRAINT wallets_pkey PRIMARY KEY (id);


--
-- Name: watched_addresses watched_addresses_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.watched_addresses
    ADD CONSTRAINT watched_addresses_pkey PRIMARY KEY (network, mode, address);


--
-- Name: webhook_attempts webhook_attempts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_attempts
    ADD CONSTRAINT webhook_attempts_pkey PRIMARY KEY (delivery_id, n);


--
-- Name: webhook_callback_secrets webhook_callback_secrets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_callback_secrets
    ADD CONSTRAINT webhook_callback_secrets_pkey PRIMARY KEY (mode);


--
-- Name: webhook_deliveries webhook_deliveries_event_id_target_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_event_id_target_key UNIQUE (event_id, target);


--
-- Name: webhook_deliveries webhook_deliveries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);


--
-- Name: webhook_endpoints webhook_endpoints_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id);


--
-- Name: chain_journal_network; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX chain_journal_network ON public.chain_journal USING btree (network, mode, seq);


--
-- Name: chain_transfers_address; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX chain_transfers_address ON public.chain_transfers USING btree (network, mode, address);


--
-- Name: chain_transfers_height; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX chain_transfers_height ON public.chain_transfers USING btree (network, mode, block_height);


--
-- Name: chain_transfers_list; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX chain_transfers_list ON public.chain_transfers USING btree (mode, seen_at DESC) WHERE (NOT "out");


--
-- Name: chain_transfers_open; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX chain_transfers_open ON public.chain_transfers USING btree (network, mode, status);


--
-- Name: chain_transfers_unswept; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX chain_transfers_unswept ON public.chain_transfers USING btree (network, mode, address, asset) WHERE ((booked = 'available'::text) AND (NOT swept) AND (NOT "out"));


--
-- Name: customers_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX customers_email ON public.customers USING btree (mode, email) WHERE (email <> ''::text);


--
-- Name: customers_external_id; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX customers_external_id ON public.customers USING btree (mode, external_id) WHERE (external_id <> ''::text);


--
-- Name: customers_mode; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX customers_mode ON public.customers USING btree (mode, created_at, id);


--
-- Name: events_list; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_list ON public.events USING btree (mode, type, seq);


--
-- Name: events_object; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_object ON public.events USING btree (object_id, seq);


--
-- Name: evm_sends_open; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX evm_sends_open ON public.evm_sends USING btree (network, mode, status);


--
-- Name: evm_sends_txid; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX evm_sends_txid ON public.evm_sends USING btree (network, mode, txid);


--
-- Name: idempotency_age; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idempotency_age ON public.idempotency USING btree (created_at);


--
-- Name: invoice_methods_address; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invoice_methods_address ON public.invoice_methods USING btree (network, mode, address);


--
-- Name: invoices_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invoices_due ON public.invoices USING btree (mode, status, expires_at);


--
-- Name: invoices_list; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invoices_list ON public.invoices USING btree (mode, created_at DESC, id DESC);


--
-- Name: invoices_request_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX invoices_request_key ON public.invoices USING btree (mode, request_key) WHERE (request_key <> ''::text);


--
-- Name: invoices_watching; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invoices_watching ON public.invoices USING btree (watching, monitor_until);


--
-- Name: ledger_holds_by_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_holds_by_state ON public.ledger_holds USING btree (state);


--
-- Name: ledger_postings_by_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ledger_postings_by_account ON public.ledger_postings USING btree (account);


--
-- Name: payouts_auto_window; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payouts_auto_window ON public.payouts USING btree (mode, created_at) WHERE (auto_usd_cents > 0);


--
-- Name: payouts_batch; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payouts_batch ON public.payouts USING btree (batch_id) WHERE (batch_id <> ''::text);


--
-- Name: payouts_list; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payouts_list ON public.payouts USING btree (mode, created_at DESC, id DESC);


--
-- Name: payouts_request_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX payouts_request_key ON public.payouts USING btree (mode, request_key) WHERE (request_key <> ''::text);


--
-- Name: payouts_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payouts_status ON public.payouts USING btree (status, created_at, id);


--
-- Name: payouts_tx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payouts_tx ON public.payouts USING btree (tx_hash) WHERE (tx_hash <> ''::text);


--
-- Name: payouts_wallet; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payouts_wallet ON public.payouts USING btree (wallet_id, created_at) WHERE (wallet_id <> ''::text);


--
-- Name: rate_buckets_full; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rate_buckets_full ON public.rate_buckets USING btree (full_at);


--
-- Name: refunds_claim; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX refunds_claim ON public.refunds USING btree (claim_token) WHERE (claim_token <> ''::text);


--
-- Name: refunds_claims_expiring; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refunds_claims_expiring ON public.refunds USING btree (claim_expires_at) WHERE (status = 'awaiting_address'::text);


--
-- Name: refunds_invoice; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refunds_invoice ON public.refunds USING btree (invoice_id, created_at, id);


--
-- Name: refunds_list; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refunds_list ON public.refunds USING btree (mode, object, created_at DESC, id DESC);


--
-- Name: refunds_payout; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX refunds_payout ON public.refunds USING btree (payout_id) WHERE (payout_id <> ''::text);


--
-- Name: refunds_request_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX refunds_request_key ON public.refunds USING btree (mode, request_key) WHERE (request_key <> ''::text);


--
-- Name: seen_signatures_expiry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX seen_signatures_expiry ON public.seen_signatures USING btree (expires_at);


--
-- Name: sweeps_list; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sweeps_list ON public.sweeps USING btree (mode, created_at DESC, id DESC);


--
-- Name: sweeps_open; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX sweeps_open ON public.sweeps USING btree (network, mode, kind, address, asset) WHERE (status = ANY (ARRAY['topping_up'::text, 'sweeping'::text]));


--
-- Name: wallet_sends_txid; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX wallet_sends_txid ON public.wallet_sends USING btree (network, mode, txid);


--
-- Name: wallet_spends_by; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX wallet_spends_by ON public.wallet_spends USING btree (network, mode, spent_by);


--
-- Name: wallets_address; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX wallets_address ON public.wallets USING btree (network, mode, address);


--
-- Name: wallets_customer_asset; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX wallets_customer_asset ON public.wallets USING btree (mode, customer_id, asset);


--
-- Name: wallets_mode; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX wallets_mode ON public.wallets USING btree (mode, created_at, id);


--
-- Name: watched_addresses_invoice; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX watched_addresses_invoice ON public.watched_addresses USING btree (invoice_id);


--
-- Name: webhook_deliveries_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_due ON public.webhook_deliveries USING btree (next_at, created_at) WHERE (status = 'pending'::text);


--
-- Name: webhook_endpoints_mode; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_endpoints_mode ON public.webhook_endpoints USING btree (mode, created_at);


--
-- Name: chain_followed chain_followed_notify; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER chain_followed_notify AFTER INSERT OR UPDATE ON public.chain_followed FOR EACH ROW EXECUTE FUNCTION public.kassa_notify_follow();


--
-- Name: events events_notify; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER events_notify AFTER INSERT ON public.events FOR EACH STATEMENT EXECUTE FUNCTION public.kassa_notify_event();


--
-- Name: watched_addresses watched_addresses_notify; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER watched_addresses_notify AFTER INSERT ON public.watched_addresses FOR EACH ROW EXECUTE FUNCTION public.kassa_notify_watch();


--
-- Name: invoice_methods invoice_methods_invoice_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoice_methods
    ADD CONSTRAINT invoice_methods_invoice_id_fkey FOREIGN KEY (invoice_id) REFERENCES public.invoices(id);


--
-- Name: ledger_holds ledger_holds_from_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_holds
    ADD CONSTRAINT ledger_holds_from_account_fkey FOREIGN KEY (from_account) REFERENCES public.ledger_accounts(name);


--
-- Name: ledger_holds ledger_holds_holding_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_holds
    ADD CONSTRAINT ledger_holds_holding_account_fkey FOREIGN KEY (holding_account) REFERENCES public.ledger_accounts(name);


--
-- Name: ledger_postings ledger_postings_account_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_postings
    ADD CONSTRAINT ledger_postings_account_fkey FOREIGN KEY (account) REFERENCES public.ledger_accounts(name);


--
-- Name: ledger_postings ledger_postings_entry_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ledger_postings
    ADD CONSTRAINT ledger_postings_entry_id_fkey FOREIGN KEY (entry_id) REFERENCES public.ledger_entries(id);


--
-- Name: payout_codes payout_codes_payout_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payout_codes
    ADD CONSTRAINT payout_codes_payout_id_fkey FOREIGN KEY (payout_id) REFERENCES public.payouts(id);


--
-- Name: refunds refunds_invoice_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT refunds_invoice_id_fkey FOREIGN KEY (invoice_id) REFERENCES public.invoices(id);


--
-- Name: webhook_attempts webhook_attempts_delivery_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_attempts
    ADD CONSTRAINT webhook_attempts_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES public.webhook_deliveries(id);


--
-- Name: webhook_deliveries webhook_deliveries_event_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_event_id_fkey FOREIGN KEY (event_id) REFERENCES public.events(id);


--
-- PostgreSQL database dump complete
--


