//! One contract, two stores: the in-memory store must behave like the DynamoDB store,
//! which runs against DynamoDB Local (Amazon's emulator). The contract itself lives in
//! `leadflow_tests::store_contract`, for any future store.

use leadflow_tests::store_contract;

store_contract!(memory, leadflow::store::InMemoryStore::new());
store_contract!(dynamodb, leadflow_tests::fresh_dynamo_store().await);
