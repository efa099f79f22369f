//! The address fields, shared by compliance and the background check: street, second line,
//! city, then a state picker and ZIP code in the US, or a free region and postal code
//! elsewhere. Each field is checked by the form's own model rule (passed in as `check`), so the
//! address reads the same errors whichever form it sits in.

use crate::identity::{optional, state_options};
use crate::steps::{field_id, LabelledField};
use crate::t;
use crate::ui::{FieldState, SelectField, TextField};
use leptos::prelude::*;
use payout_model::identity::Address;

/// What the address fields hold. Copy, so handlers capture it freely.
#[derive(Clone, Copy, Debug)]
pub struct AddressState {
    /// Street and number.
    pub line1: FieldState,
    /// Apartment, suite, unit.
    pub line2: FieldState,
    /// City.
    pub city: FieldState,
    /// US state code (the picker).
    pub state: FieldState,
    /// Region outside the US (free text).
    pub region: FieldState,
    /// ZIP or postal code.
    pub postal_code: FieldState,
}

impl AddressState {
    /// Empty fields.
    pub fn new() -> Self {
        AddressState {
            line1: FieldState::new(),
            line2: FieldState::new(),
            city: FieldState::new(),
            state: FieldState::new(),
            region: FieldState::new(),
            postal_code: FieldState::new(),
        }
    }

    /// The address as typed, trimmed; `us` picks the state or the region.
    pub fn address(&self, us: bool) -> Address {
        let region = if us {
            self.state.text().to_ascii_uppercase()
        } else {
            self.region.text()
        };
        Address {
            line1: self.line1.text().trim().to_owned(),
            line2: optional(&self.line2.text()),
            city: self.city.text().trim().to_owned(),
            region: optional(&region),
            postal_code: optional(&self.postal_code.text()),
        }
    }

    /// Fills the fields from a stored address, unless the user has typed into them already.
    pub fn prefill(&self, address: &Address, us: bool) {
        let region_field = if us { self.state } else { self.region };
        for (field, value) in [
            (self.line1, Some(address.line1.as_str())),
            (self.line2, address.line2.as_deref()),
            (self.city, Some(address.city.as_str())),
            (region_field, address.region.as_deref()),
            (self.postal_code, address.postal_code.as_deref()),
        ] {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                if field.text().is_empty() {
                    field.value.set(value.to_owned());
                }
            }
        }
    }

    /// The fields by their request paths (`address.line1`) and labels, in form order.
    pub fn fields(&self, us: bool) -> Vec<LabelledField> {
        let field = |path, label: &'static str, state| LabelledField { path, label, state };
        vec![
            field("address.line1", t!(field_line1), self.line1),
            field("address.line2", t!(field_line2), self.line2),
            field("address.city", t!(field_city), self.city),
            if us {
                field("address.region", t!(field_state), self.state)
            } else {
                field("address.region", t!(field_region), self.region)
            },
            field(
                "address.postal_code",
                if us {
                    t!(field_zip)
                } else {
                    t!(field_postal_code)
                },
                self.postal_code,
            ),
        ]
    }

    /// Clears the errors of the fields whose rules depend on the country.
    pub fn clear_country_errors(&self) {
        for f in [self.state, self.region, self.postal_code] {
            f.error.set(None);
        }
    }
}

impl Default for AddressState {
    fn default() -> Self {
        Self::new()
    }
}

/// The address fields under a "Home address" heading; element ids start with `prefix`,
/// `data-testid`s with `testid` (`compliance` → `compliance-line1`, `compliance-region`,
/// `compliance-postal-code`).
#[component]
pub fn AddressFields(
    /// What the fields hold.
    state: AddressState,
    /// Whether the address is in the US (state picker and ZIP code).
    #[prop(into)]
    us: Signal<bool>,
    /// Element id prefix, unique on the screen.
    prefix: &'static str,
    /// `data-testid` prefix.
    testid: &'static str,
    /// The form's rule for one field: `(path, value)` → the worded message, if it breaks one.
    check: Callback<(&'static str, String), Option<String>>,
) -> impl IntoView {
    let check_of = move |path: &'static str| {
        Callback::new(move |value: String| check.try_run((path, value)).flatten())
    };
    let region = move || {
        if us.get() {
            view! {
                <SelectField
                    id=field_id(prefix, "address.region")
                    label=t!(field_state)
                    field=state.state
                    testid=format!("{testid}-region")
                    options=state_options()
                    autocomplete="address-level1"
                    check=check_of("address.region")
                />
            }
            .into_any()
        } else {
            view! {
                <TextField
                    id=field_id(prefix, "address.region")
                    label=t!(field_region)
                    field=state.region
                    testid=format!("{testid}-region")
                    autocomplete="address-level1"
                    check=check_of("address.region")
                />
            }
            .into_any()
        }
    };
    let postal = move || {
        let (label, inputmode) = if us.get() {
            (t!(field_zip), "numeric")
        } else {
            (t!(field_postal_code), "text")
        };
        view! {
            <TextField
                id=field_id(prefix, "address.postal_code")
                label=label
                field=state.postal_code
                testid=format!("{testid}-postal-code")
                inputmode=inputmode
                autocomplete="postal-code"
                check=check_of("address.postal_code")
            />
        }
    };
    view! {
        <fieldset class="pf-group">
            <legend class="pf-group__legend">{t!(address_heading)}</legend>
            <TextField
                id=field_id(prefix, "address.line1")
                label=t!(field_line1)
                field=state.line1
                testid=format!("{testid}-line1")
                autocomplete="address-line1"
                check=check_of("address.line1")
            />
            <TextField
                id=field_id(prefix, "address.line2")
                label=t!(field_line2)
                field=state.line2
                testid=format!("{testid}-line2")
                autocomplete="address-line2"
                check=check_of("address.line2")
            />
            <TextField
                id=field_id(prefix, "address.city")
                label=t!(field_city)
                field=state.city
                testid=format!("{testid}-city")
                autocomplete="address-level2"
                check=check_of("address.city")
            />
            {region}
            {postal}
        </fieldset>
    }
}
