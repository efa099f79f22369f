//! The address fields, shared by compliance and the background check: street, second line,
//! city, then a state picker and ZIP code in the US, or a free region and postal code
//! elsewhere. Each field is checked by the form's own model rule (passed in as `check`), so the
//! address reads the same errors whichever form it sits in.

use crate::forms::Rejected;
use crate::identity::{optional, state_options};
use crate::t;
use crate::ui::{Field, Form, SelectField, TextField};
use leptos::prelude::*;
use payout_model::identity::Address;

/// What the address fields hold. Copy, so handlers capture it freely.
#[derive(Clone, Copy)]
pub struct AddressState {
    /// Street and number.
    pub line1: Field,
    /// Apartment, suite, unit.
    pub line2: Field,
    /// City.
    pub city: Field,
    /// US state code (the picker).
    pub state: Field,
    /// Region outside the US (free text).
    pub region: Field,
    /// ZIP or postal code (labelled by [`AddressState::postal`]).
    pub postal_code: Field,
}

impl AddressState {
    /// Empty fields of `form`.
    pub fn new(form: &Form) -> Self {
        AddressState {
            line1: form.field("address.line1", || t!(field_line1)),
            line2: form.field("address.line2", || t!(field_line2)),
            city: form.field("address.city", || t!(field_city)),
            state: form.field_kept_as("address.state", "address.region", || t!(field_state), ""),
            region: form.field("address.region", || t!(field_region)),
            postal_code: form.field("address.postal_code", || t!(field_zip)),
        }
    }

    /// The state picker in the US, the free region elsewhere.
    pub fn region(&self, us: bool) -> Field {
        if us {
            self.state
        } else {
            self.region
        }
    }

    /// The ZIP code in the US, the postal code elsewhere.
    pub fn postal(&self, us: bool) -> Field {
        if us {
            self.postal_code
        } else {
            self.postal_code.labelled(|| t!(field_postal_code))
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
        for (field, value) in [
            (self.line1, Some(address.line1.as_str())),
            (self.line2, address.line2.as_deref()),
            (self.city, Some(address.city.as_str())),
            (self.region(us), address.region.as_deref()),
            (self.postal_code, address.postal_code.as_deref()),
        ] {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                if field.text().is_empty() {
                    field.value.set(value.to_owned());
                }
            }
        }
    }

    /// The fields the form shows, in form order.
    pub fn fields(&self, us: bool) -> [Field; 5] {
        [
            self.line1,
            self.line2,
            self.city,
            self.region(us),
            self.postal(us),
        ]
    }

    /// Clears the errors of the fields whose rules depend on the country.
    pub fn clear_country_errors(&self) {
        for f in [self.state, self.region, self.postal_code] {
            f.error.set(None);
        }
    }
}

/// The address fields under a "Home address" heading; element ids are the fields' own,
/// `data-testid`s with `testid` (`compliance` → `compliance-line1`, `compliance-region`,
/// `compliance-postal-code`).
#[component]
pub fn AddressFields(
    /// What the fields hold.
    state: AddressState,
    /// Whether the address is in the US (state picker and ZIP code).
    #[prop(into)]
    us: Signal<bool>,
    /// `data-testid` prefix.
    testid: &'static str,
    /// The form's rules with one field's value: `(path, value)` → what is wrong.
    check: Callback<(&'static str, String), Option<Rejected>>,
) -> impl IntoView {
    let check_of =
        move |field: Field| field.checked_by(move |path, value| check.try_run((path, value))?);
    let region = move || {
        if us.get() {
            view! {
                <SelectField
                    field=state.state
                    testid=format!("{testid}-region")
                    options=state_options()
                    autocomplete="address-level1"
                    check=check_of(state.state)
                />
            }
            .into_any()
        } else {
            view! {
                <TextField
                    field=state.region
                    testid=format!("{testid}-region")
                    autocomplete="address-level1"
                    check=check_of(state.region)
                />
            }
            .into_any()
        }
    };
    let postal = move || {
        let us = us.get();
        let field = state.postal(us);
        view! {
            <TextField
                field=field
                testid=format!("{testid}-postal-code")
                inputmode=if us { "numeric" } else { "text" }
                autocomplete="postal-code"
                check=check_of(field)
            />
        }
    };
    view! {
        <fieldset class="pf-group">
            <legend class="pf-group__legend">{t!(address_heading)}</legend>
            <TextField
                field=state.line1
                testid=format!("{testid}-line1")
                autocomplete="address-line1"
                check=check_of(state.line1)
            />
            <TextField
                field=state.line2
                testid=format!("{testid}-line2")
                autocomplete="address-line2"
                check=check_of(state.line2)
            />
            <TextField
                field=state.city
                testid=format!("{testid}-city")
                autocomplete="address-level2"
                check=check_of(state.city)
            />
            {region}
            {postal}
        </fieldset>
    }
}
