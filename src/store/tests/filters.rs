//! ODE's instance filters and order keys ([`crate::query`]), run as the store's one query on
//! every backend: each key, operator, wildcard, alternative, date form and correlation
//! property selects exactly
//! the instances it names, in the order asked.

use std::time::SystemTime;

use super::{deployment, step, Fixture, TestDb};
use crate::query::instance_listing;
use crate::runtime::xsd;
use crate::store::time::to_millis;
use crate::store::{
    CorrelationValue, InstanceFilter, InstancePosition, InstanceStatus, InstanceSummary,
    ProcessRecord, ProcessState,
};

/// Six instances of three processes in two namespaces, created and then last saved one
/// after another, each at a later millisecond than the one before; four of them stored
/// correlation values, and one of those deleted them.
struct Instances {
    fixture: Fixture,
    processes: Vec<ProcessRecord>,
    /// By number: the id, then when it was created and last saved, as ISO 8601 dates.
    ids: Vec<i64>,
    started: Vec<String>,
    last_active: Vec<String>,
}

impl Instances {
    async fn new(db: &TestDb) -> Instances {
        let fixture = Fixture::new(db).await;
        let mut processes = Vec::new();
        for (version, (namespace, name)) in [
            ("urn:test", "orders"),
            ("urn:test", "orderLines"),
            ("urn:other", "billing"),
        ]
        .into_iter()
        .enumerate()
        {
            let version = version as i64 + 1;
            let record = ProcessRecord {
                pid: format!("{{{namespace}}}{name}-{version}"),
                process: format!("{{{namespace}}}{name}"),
                deployment: name.to_owned(),
                version,
                state: ProcessState::Active,
            };
            let store = &fixture.store;
            store
                .save_deployment(deployment(name, version))
                .await
                .unwrap();
            store.save_process(record.clone()).await.unwrap();
            processes.push(record);
        }
        let [orders, lines, billing] = [0, 1, 2].map(|n| processes[n].pid.clone());
        let mut ids = Vec::new();
        for pid in [&orders, &lines, &billing, &orders, &billing, &orders] {
            next_millisecond().await;
            ids.push(fixture.create(pid).await.unwrap());
        }
        let statuses = [
            InstanceStatus::Completed,
            InstanceStatus::Faulted,
            InstanceStatus::Suspended,
            InstanceStatus::Failed,
            InstanceStatus::Terminated,
        ];
        let props = "urn:props";
        let values: [&[(&str, &str, &str)]; 5] = [
            &[(props, "orderId", "A-1")],
            &[("urn:other", "orderId", "A-1"), (props, "customer", "c7")],
            &[(props, "orderId", "B-2")],
            &[(props, "orderId", "A-1")],
            &[],
        ];
        for (n, (&id, status)) in ids[1..].iter().zip(statuses).enumerate() {
            next_millisecond().await;
            let mut saved = step(id, 1, status, b"");
            saved.correlation_values = values[n]
                .iter()
                .map(|&(namespace, name, value)| CorrelationValue {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                    value: value.to_owned(),
                })
                .collect();
            // The fifth instance's step cleans up the values it stores.
            saved.delete_correlation_values = n == 3;
            fixture.store.commit(saved).await.unwrap();
        }
        let mut listed = fixture
            .store
            .list_instances(&InstanceFilter::default())
            .await
            .unwrap();
        listed.reverse();
        let iso = |time: SystemTime| {
            let millis = to_millis(time);
            let whole = xsd::date_time(millis - millis % 1000).to_string();
            format!("{}.{:03}Z", whole.trim_end_matches('Z'), millis % 1000)
        };
        Instances {
            started: listed.iter().map(|i| iso(i.created_at)).collect(),
            last_active: listed.iter().map(|i| iso(i.updated_at)).collect(),
            fixture,
            processes,
            ids,
        }
    }

    /// The numbers of the instances `filter` and `order` select, in their order.
    async fn select(&self, filter: &str, order: &str, limit: Option<u32>) -> Vec<usize> {
        let query = InstanceFilter {
            limit,
            ..self.query(filter, order)
        };
        let listed = self.fixture.store.list_instances(&query).await.unwrap();
        self.numbers(&listed)
    }

    /// The same, read in pages of `size`, each after the last of the page before.
    async fn select_in_pages(&self, filter: &str, order: &str, size: u32) -> Vec<usize> {
        let mut query = InstanceFilter {
            limit: Some(size),
            ..self.query(filter, order)
        };
        let mut numbers = Vec::new();
        loop {
            let page = self.fixture.store.list_instances(&query).await.unwrap();
            numbers.extend(self.numbers(&page));
            match page.last() {
                Some(last) if page.len() == size as usize => {
                    query.after = Some(InstancePosition::of(last));
                }
                _ => return numbers,
            }
        }
    }

    fn query(&self, filter: &str, order: &str) -> InstanceFilter {
        instance_listing(filter, order, &self.processes, SystemTime::now())
            .unwrap_or_else(|error| panic!("{error}"))
    }

    fn numbers(&self, listed: &[InstanceSummary]) -> Vec<usize> {
        let number = |summary: &InstanceSummary| self.ids.iter().position(|&id| id == summary.id);
        listed
            .iter()
            .map(|summary| number(summary).unwrap())
            .collect()
    }
}

/// Returns once the clock has moved past the millisecond it is in.
async fn next_millisecond() {
    let now = to_millis(SystemTime::now());
    while to_millis(SystemTime::now()) == now {
        tokio::task::yield_now().await;
    }
}

async fn every_key_operator_wildcard_alternative_and_date_selects_what_it_names(db: TestDb) {
    let instances = Instances::new(&db).await;
    let (ids, started, active) = (&instances.ids, &instances.started, &instances.last_active);
    let cases: Vec<(String, Vec<usize>)> = vec![
        (String::new(), vec![5, 4, 3, 2, 1, 0]),
        (format!("iid={}", ids[2]), vec![2]),
        (format!("iid={}|{}", ids[0], ids[4]), vec![4, 0]),
        ("pid={urn:test}orders-1".into(), vec![5, 3, 0]),
        (
            "pid={urn:test}orders-1|{urn:other}billing-3".into(),
            vec![5, 4, 3, 2, 0],
        ),
        ("pid<>{urn:test}orders-1".into(), vec![4, 2, 1]),
        ("pid={urn:test}none-9".into(), vec![]),
        ("name=orders".into(), vec![5, 3, 0]),
        ("name=ORDERS".into(), vec![5, 3, 0]),
        ("name=order*".into(), vec![5, 3, 1, 0]),
        ("name=*".into(), vec![5, 4, 3, 2, 1, 0]),
        ("name=orderlines|bill*".into(), vec![4, 2, 1]),
        ("name=order".into(), vec![]),
        ("namespace=urn:test".into(), vec![5, 3, 1, 0]),
        ("namespace=URN:OTH*".into(), vec![4, 2]),
        ("name=order* namespace=urn:other".into(), vec![]),
        ("status=active".into(), vec![0]),
        ("status=running".into(), vec![0]),
        ("status=suspended".into(), vec![3]),
        ("status=completed".into(), vec![1]),
        ("status=terminated".into(), vec![5]),
        ("status=failed".into(), vec![4, 2]),
        ("status=faulted".into(), vec![2]),
        ("status=error".into(), vec![4]),
        ("status=Active|suspended".into(), vec![3, 0]),
        ("status = completed".into(), vec![1]),
        (format!("started={}", started[2]), vec![2]),
        (format!("started<{}", started[2]), vec![1, 0]),
        (format!("started<={}", started[2]), vec![2, 1, 0]),
        (format!("started>{}", started[2]), vec![5, 4, 3]),
        (format!("started>={}", started[2]), vec![5, 4, 3, 2]),
        (
            format!("started>{} started<{}", started[0], started[3]),
            vec![2, 1],
        ),
        (format!("last-active={}", active[3]), vec![3]),
        (format!("last_active<{}", active[1]), vec![0]),
        (format!("Last-Active>={}", active[4]), vec![5, 4]),
        (
            "started>=-1d last-active>=-1h".into(),
            vec![5, 4, 3, 2, 1, 0],
        ),
        ("started<-1d".into(), vec![]),
        (
            "started>=2000-01-01 started<20991231".into(),
            vec![5, 4, 3, 2, 1, 0],
        ),
        ("$orderId=A-1".into(), vec![2, 1]),
        ("${urn:props}orderId=A-1".into(), vec![1]),
        ("${urn:props}orderId=A-1|B-2".into(), vec![3, 1]),
        ("$orderId=A-1 $customer=c7".into(), vec![2]),
        ("${urn:other}customer=c7".into(), vec![]),
        ("$orderId=a-1".into(), vec![]),
        ("$orderId=A-1 status=completed".into(), vec![1]),
        ("name=order* status=active|suspended".into(), vec![3, 0]),
        ("pid<>{urn:test}orders-1 status=failed".into(), vec![4, 2]),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            instances.select(&filter, "", None).await,
            expected,
            "{filter}"
        );
    }
}

async fn every_order_key_orders_ascending_or_descending_with_ties_newest_first_in_pages_too(
    db: TestDb,
) {
    let instances = Instances::new(&db).await;
    let cases: [(&str, Vec<usize>); 13] = [
        ("iid", vec![0, 1, 2, 3, 4, 5]),
        ("-iid", vec![5, 4, 3, 2, 1, 0]),
        ("started", vec![0, 1, 2, 3, 4, 5]),
        ("-started", vec![5, 4, 3, 2, 1, 0]),
        ("last-active", vec![0, 1, 2, 3, 4, 5]),
        ("+status", vec![1, 4, 2, 0, 3, 5]),
        ("pid", vec![4, 2, 1, 5, 3, 0]),
        ("name", vec![4, 2, 1, 5, 3, 0]),
        ("-name", vec![5, 3, 0, 1, 4, 2]),
        ("namespace", vec![4, 2, 1, 5, 3, 0]),
        ("-namespace", vec![5, 3, 0, 1, 4, 2]),
        ("version", vec![5, 3, 0, 1, 4, 2]),
        ("-version iid", vec![2, 4, 1, 0, 3, 5]),
    ];
    for (order, expected) in cases {
        assert_eq!(instances.select("", order, None).await, expected, "{order}");
        for size in [1, 2, 4] {
            let paged = instances.select_in_pages("", order, size).await;
            assert_eq!(paged, expected, "{order} in pages of {size}");
        }
    }
    let paged = instances.select_in_pages("name=order*", "-status", 1).await;
    assert_eq!(
        paged,
        instances.select("name=order*", "-status", None).await
    );
    assert_eq!(
        instances.select("name=order*", "iid", Some(2)).await,
        [0, 1]
    );
    assert_eq!(instances.select("", "", Some(0)).await, Vec::<usize>::new());
}

backend_tests!(
    every_key_operator_wildcard_alternative_and_date_selects_what_it_names,
    every_order_key_orders_ascending_or_descending_with_ties_newest_first_in_pages_too,
);
